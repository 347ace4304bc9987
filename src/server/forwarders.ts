/**
 * Pure adapters for forwarder apps people already run on the wallet phone. Each takes the raw
 * request bytes and headers, verifies what the app signs, and returns the SMS in vcash's shape.
 * The server mounts them (POST /api/sms/smsgateway, POST /api/sms/httpsms) and then ingests
 * like POST /api/sms. The apps' own message ids are not stable (SMS Gateway derives its id
 * from the content; httpSMS makes a new one per delivery), so the server dedupes by fingerprint.
 *
 * - SMS Gateway for Android (capcom6/android-sms-gateway), event `sms:received`:
 *   body `{deviceId, event, id, payload: {messageId, message, phoneNumber, simNumber, receivedAt}, webhookId}`,
 *   headers `X-Signature` = hex HMAC-SHA256(signingKey, rawBody + X-Timestamp) and
 *   `X-Timestamp` = Unix seconds (its docs: compare in constant time, accept ±5 minutes).
 * - httpSMS (NdoleStudio/httpsms), event `message.phone.received`: a CloudEvents 1.0 JSON
 *   envelope `{specversion, id, source, type, time, data: {message_id, user_id, owner, contact,
 *   timestamp, content, sim, encrypted}}`, header `X-Event-Type`; when a signing key is set,
 *   `Authorization: Bearer <JWT>` signed HS256 with it (iss api.httpsms.com, aud the webhook URL,
 *   exp now+10 min, nbf now-10 min). The JWT does not cover the body; it proves the sender.
 */
import crypto from 'node:crypto'

import {errors as joseErrors, jwtVerify, SignJWT} from 'jose'

import {VcashError} from '../core/errors.js'

export interface SmsForward {
  sender: string
  body: string
  /** ISO-8601 receive time from the phone, or null when the app gave none. */
  receivedAt: string | null
  /** The app's id for the phone (SMS Gateway's deviceId, httpSMS's owner number), when it gives one. */
  device?: string | null
}

export type HeaderBag = Record<string, string | string[] | undefined> | Headers

export const SMSGATEWAY_TOLERANCE_SECONDS = 300

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const bag = headers as Record<string, string | string[] | undefined>
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name.toLowerCase())
  const v = key === undefined ? undefined : bag[key]
  return Array.isArray(v) ? v[0] : v
}

function invalidSignature(message: string): VcashError {
  return new VcashError('invalid_signature', message, {http: 401, suggestion: 'Check that the signing key configured in vcash matches the one in the forwarder app.'})
}

function invalidPayload(message: string, field?: string): VcashError {
  return new VcashError('invalid_payload', message, {http: 400, errors: field ? [{field, message}] : undefined})
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown
  } catch {
    throw invalidPayload('body is not JSON')
  }
}

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

function isoOrNull(v: unknown): string | null {
  if (typeof v !== 'string' || v.trim() === '') return null
  const t = Date.parse(v)
  return Number.isNaN(t) ? null : new Date(t).toISOString()
}

/** An app's device id, when it is a short printable token (it becomes part of the device's name). */
function deviceOf(v: unknown): string | null {
  return typeof v === 'string' && /^[\x21-\x7e]{1,60}$/.test(v.trim()) ? v.trim() : null
}

function timingSafeEqualStr(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  // Compare equal-length digests so the length of a wrong guess leaks nothing.
  const ha = crypto.createHash('sha256').update(ab).digest()
  const hb = crypto.createHash('sha256').update(bb).digest()
  return crypto.timingSafeEqual(ha, hb) && ab.length === bb.length
}

export interface VerifyOptions {
  /** Current time in ms (tests). */
  now?: number
  toleranceSeconds?: number
}

/** SMS Gateway for Android `sms:received` → SmsForward. Other events are `invalid_payload`. */
export function fromSmsGateway(rawBody: Buffer, headers: HeaderBag, signingKey: string, opts: VerifyOptions = {}): SmsForward {
  if (!signingKey) throw invalidSignature('no signing key is configured for SMS Gateway webhooks')
  const signature = header(headers, 'x-signature')?.trim()
  const timestamp = header(headers, 'x-timestamp')?.trim()
  if (!signature || !timestamp) throw invalidSignature('missing X-Signature or X-Timestamp header')
  if (!/^\d{1,12}$/.test(timestamp)) throw invalidSignature('X-Timestamp is not Unix seconds')
  const now = Math.floor((opts.now ?? Date.now()) / 1000)
  const tolerance = opts.toleranceSeconds ?? SMSGATEWAY_TOLERANCE_SECONDS
  if (Math.abs(now - Number(timestamp)) > tolerance) throw invalidSignature('X-Timestamp is too far from now (replayed or clock skew)')
  // The app signs the raw body bytes followed by the timestamp text, with nothing between.
  const expected = crypto.createHmac('sha256', signingKey).update(rawBody).update(timestamp, 'utf8').digest('hex')
  if (!timingSafeEqualStr(expected, signature.toLowerCase())) throw invalidSignature('X-Signature does not match the body')

  const doc = obj(parseJson(rawBody))
  if (!doc) throw invalidPayload('body is not a JSON object')
  if (doc.event !== 'sms:received') throw invalidPayload(`event "${String(doc.event).slice(0, 40)}" is not sms:received`, 'event')
  const p = obj(doc.payload)
  if (!p) throw invalidPayload('payload is missing', 'payload')
  const body = p.message
  const sender = p.phoneNumber ?? p.sender
  if (typeof body !== 'string' || body === '') {
    throw invalidPayload('payload.message is missing (encrypted payloads are not supported: turn end-to-end encryption off for this webhook)', 'payload.message')
  }
  if (typeof sender !== 'string' || sender.trim() === '') throw invalidPayload('payload.phoneNumber is missing', 'payload.phoneNumber')
  return {sender: sender.trim(), body, receivedAt: isoOrNull(p.receivedAt), device: deviceOf(doc.deviceId)}
}

/** Signs like the app does: for tests and for people wiring their own forwarder. */
export function signSmsGateway(rawBody: Buffer | string, signingKey: string, timestamp: number): {'X-Signature': string; 'X-Timestamp': string} {
  const ts = String(timestamp)
  const sig = crypto.createHmac('sha256', signingKey).update(rawBody).update(ts, 'utf8').digest('hex')
  return {'X-Signature': sig, 'X-Timestamp': ts}
}

export interface HttpSmsOptions extends VerifyOptions {
  /** The webhook's signing key in httpSMS; when set, the Bearer JWT is required and checked. */
  signingKey?: string
  /** The URL configured in httpSMS (the JWT's `aud`); checked when given. */
  url?: string
}

const HTTPSMS_ISSUER = 'api.httpsms.com'

/**
 * Verifies httpSMS's HS256 webhook JWT with jose: the signature, exp/nbf with leeway, the issuer,
 * and the audience (the webhook URL httpSMS was given) when `url` is known. Only HS256: the token
 * never chooses its algorithm ("none", or a public key passed off as an HMAC secret).
 */
export async function verifyHttpSmsToken(authorization: string | undefined, opts: HttpSmsOptions & {signingKey: string}): Promise<void> {
  const m = authorization ? /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i.exec(authorization.trim()) : null
  if (!m) throw invalidSignature('missing or malformed Authorization: Bearer token')
  try {
    await jwtVerify(m[1]!, new TextEncoder().encode(opts.signingKey), {
      algorithms: ['HS256'],
      issuer: HTTPSMS_ISSUER,
      audience: opts.url === undefined ? undefined : audiences(opts.url),
      requiredClaims: ['exp'],
      clockTolerance: opts.toleranceSeconds ?? 60,
      currentDate: opts.now === undefined ? undefined : new Date(opts.now),
    })
  } catch (error) {
    throw invalidSignature(jwtProblem(error))
  }
}

/** The URL as received and as WHATWG-normalised (host case, default port): httpSMS sends back what it was given. */
function audiences(url: string): string[] {
  try {
    return [...new Set([url, new URL(url).href])]
  } catch {
    return [url]
  }
}

function jwtProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the token was issued for another URL (its audience is the webhook URL set in httpSMS)'
    if (error.claim === 'iss') return 'the token was not issued by httpSMS'
    if (error.claim === 'nbf') return 'the token is not valid yet'
    return `the token's ${error.claim} claim is not acceptable`
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with HS256'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not match the signing key'
  return 'the token is malformed'
}

/** httpSMS `message.phone.received` → SmsForward. Other events are `invalid_payload`. */
export async function fromHttpSms(rawBody: Buffer, headers: HeaderBag, opts: HttpSmsOptions = {}): Promise<SmsForward> {
  if (opts.signingKey) await verifyHttpSmsToken(header(headers, 'authorization'), {...opts, signingKey: opts.signingKey})
  const doc = obj(parseJson(rawBody))
  if (!doc) throw invalidPayload('body is not a JSON object')
  const type = doc.type ?? header(headers, 'x-event-type')
  if (type !== 'message.phone.received') throw invalidPayload(`event "${String(type).slice(0, 40)}" is not message.phone.received`, 'type')
  const data = obj(doc.data)
  if (!data) throw invalidPayload('data is missing', 'data')
  if (data.encrypted === true) throw invalidPayload('the message is end-to-end encrypted in httpSMS; vcash cannot read it (turn encryption off for this phone)', 'data.encrypted')
  // Older httpSMS releases called the fields from/to instead of contact/owner.
  const sender = data.contact ?? data.from
  const body = data.content
  if (typeof sender !== 'string' || sender.trim() === '') throw invalidPayload('data.contact is missing', 'data.contact')
  if (typeof body !== 'string' || body === '') throw invalidPayload('data.content is missing', 'data.content')
  return {sender: sender.trim(), body, receivedAt: isoOrNull(data.timestamp) ?? isoOrNull(doc.time), device: deviceOf(data.owner ?? data.to)}
}

/** An httpSMS-style token, for tests and local tooling. */
export function signHttpSmsToken(signingKey: string, claims: {aud: string; now?: number; sub?: string}): Promise<string> {
  const now = Math.floor((claims.now ?? Date.now()) / 1000)
  return new SignJWT({})
    .setProtectedHeader({alg: 'HS256', typ: 'JWT'})
    .setAudience(claims.aud)
    .setIssuer(HTTPSMS_ISSUER)
    .setSubject(claims.sub ?? 'user')
    .setIssuedAt(now)
    .setNotBefore(now - 600)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(signingKey))
}
