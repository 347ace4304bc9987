import http from 'node:http'
import https from 'node:https'
import type {LookupFunction} from 'node:net'

import type {DeliveryAttempt, NotificationRecord, StoreRecord} from '../core/model.js'
import {callbackUrl, signingSecrets, webhookHeaders} from './sign.js'
import {type Lookup, resolveTarget} from './url-guard.js'
import {interpretWhmcs} from './whmcs.js'

export interface SendOptions {
  /** Send here instead of the store's URL (replay --to). */
  to?: string
  /** Enforce https + public addresses (production), or allow http://localhost (development). */
  production: boolean
  timeoutMs: number
  lookup?: Lookup
  now: () => Date
}

export interface SendResult {
  attempt: DeliveryAttempt
  delivered: boolean
  /** WHMCS's answer means an operator must change something. */
  configError: boolean
  /** Origin used for the circuit breaker. */
  origin: string
  whmcsResponse?: string
}

/**
 * The exact request a notification becomes. The content and the event id are the same on
 * every attempt; the signature is made afresh with the time of sending (`sentAt`), so a
 * merchant verifying with a few minutes' tolerance accepts a retry or a replay hours later.
 */
export function buildRequest(store: StoreRecord, n: NotificationRecord, sentAt: Date, to?: string): {method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string} {
  const cb = store.callback
  if (n.channel === 'get') {
    const fields = {...n.payload, timestamp: String(Math.floor(sentAt.getTime() / 1000)), event_id: n.id}
    return {method: 'GET', url: callbackUrl(to ?? (cb.kind === 'get' ? cb.url : ''), fields, signingSecrets(store, sentAt)), headers: {'user-agent': 'vcash/1'}}
  }
  if (n.channel === 'whmcs') {
    const base = to ?? (cb.kind === 'whmcs' ? cb.url : '')
    const form = new URLSearchParams({
      action: 'AddCredit',
      identifier: cb.kind === 'whmcs' ? cb.identifier : '',
      secret: cb.kind === 'whmcs' ? cb.secret : '',
      clientid: String(n.payload.clientid ?? ''),
      description: String(n.payload.description ?? ''),
      amount: String(n.payload.amount ?? ''),
      responsetype: 'json',
    })
    return {method: 'POST', url: `${base.replace(/\/+$/, '')}/includes/api.php`, headers: {'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'vcash/1'}, body: form.toString()}
  }
  const body = JSON.stringify(n.payload)
  const url = to ?? (cb.kind === 'webhook' ? cb.url : '')
  return {
    method: 'POST',
    url,
    headers: {'content-type': 'application/json', 'user-agent': 'vcash/1', ...webhookHeaders(n.id, sentAt.getTime(), body, signingSecrets(store, sentAt))},
    // A relay (smee) re-serialises JSON bodies; carry the exact signed bytes inside a string
    // it keeps intact, for `vcash listen --source` to unwrap.
    body: isRelay(url) ? JSON.stringify({vcash_relay: 1, body}) : body,
  }
}

/** smee.io channels, or any URL marked `?vcash_relay=1` (a self-hosted smee). */
export function isRelay(url: string): boolean {
  try {
    const u = new URL(url)
    return u.hostname === 'smee.io' || u.hostname.endsWith('.smee.io') || u.searchParams.get('vcash_relay') === '1'
  } catch {
    return false
  }
}

/** One delivery attempt, never throwing: everything that happens becomes the attempt record. */
export async function sendNotification(store: StoreRecord, n: NotificationRecord, opts: SendOptions): Promise<SendResult> {
  const started = opts.now()
  // The wall clock, not the service's (a dev server's clock may be moved): the merchant
  // verifies against real time.
  const req = buildRequest(store, n, new Date(), opts.to)
  const shownUrl = req.url.split('?')[0]!
  let origin = shownUrl
  const fail = (error: string, status: number | null = null, excerpt: string | null = null, configError = false): SendResult => ({
    attempt: {at: started.toISOString(), url: shownUrl, status, durationMs: Date.now() - started.getTime(), error, responseExcerpt: excerpt, replay: opts.to !== undefined || undefined},
    delivered: false,
    configError,
    origin,
  })
  let target: Awaited<ReturnType<typeof resolveTarget>>
  try {
    target = await resolveTarget(req.url, {production: opts.production, lookup: opts.lookup})
    origin = target.url.origin
  } catch (error) {
    return fail((error as Error).message, null, null, true)
  }
  const t0 = Date.now()
  try {
    const res = await request(target, req, opts.timeoutMs)
    const excerpt = res.body.slice(0, 500)
    const ok = res.status >= 200 && res.status < 300
    if (n.channel === 'whmcs') {
      const v = interpretWhmcs(res.status, res.body)
      const attempt: DeliveryAttempt = {at: started.toISOString(), url: shownUrl, status: res.status, durationMs: Date.now() - t0, error: v.ok ? null : v.message, responseExcerpt: excerpt, replay: opts.to !== undefined || undefined}
      return {attempt, delivered: v.ok, configError: v.configError, origin, whmcsResponse: excerpt}
    }
    const attempt: DeliveryAttempt = {at: started.toISOString(), url: shownUrl, status: res.status, durationMs: Date.now() - t0, error: ok ? null : `HTTP ${res.status}`, responseExcerpt: excerpt, replay: opts.to !== undefined || undefined}
    return {attempt, delivered: ok, configError: false, origin}
  } catch (error) {
    return fail((error as Error).message)
  }
}

function request(target: {url: URL; address: string; family: number}, req: {method: string; url: string; headers: Record<string, string>; body?: string}, timeoutMs: number): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const lib = target.url.protocol === 'https:' ? https : http
    // Pin the connection to the address we vetted.
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as {all?: boolean}).all) (cb as unknown as (e: null, a: {address: string; family: number}[]) => void)(null, [{address: target.address, family: target.family}])
      else cb(null, target.address, target.family)
    }
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8')
    const r = lib.request(req.url, {method: req.method, headers: {...req.headers, ...(body ? {'content-length': String(body.length)} : {})}, lookup, timeout: timeoutMs, agent: false}, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        // Keep only what we record; drain the rest.
        if (size < 4096) chunks.push(c)
        size += c.length
      })
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
      res.on('error', reject)
    })
    r.on('timeout', () => r.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    r.on('error', reject)
    r.end(body)
  })
}
