import type {IncomingMessage, ServerResponse} from 'node:http'

import express, {type Request} from 'express'
import {z} from 'zod'

import {VcashError} from '../../core/errors.js'
import {hashToken} from '../../core/secrets.js'
import {validationError} from '../../core/store-settings.js'
import {fromHttpSms, fromSmsGateway, type SmsForward} from '../forwarders.js'
import {bearer, readBody} from '../http-util.js'
import {type RouteContext, SMS_BODY_LIMIT, sendIngestResult} from './context.js'

const smsSchema = z.object({
  sender: z.string().trim().min(1, 'the SMS sender id is required').max(64),
  body: z.string().min(1, 'the SMS text is required').max(10_000),
  received_at: z.iso.datetime({offset: true}).optional().nullable(),
}).strict()

/** `POST /api/sms` with the device token: the phone's SMS in (contract §2). */
export function smsRoute(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const token = bearer(req)
    const store = token ? await ctx.service.stores.findByDeviceTokenHash(hashToken(token)) : undefined
    if (!store) throw new VcashError('unauthorized', 'a valid device token is required', {http: 401, suggestion: 'Send Authorization: Bearer <device token> (printed by `vcash store init`).'})
    const ct = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(ct)) throw new VcashError('unsupported_media_type', 'send Content-Type: application/json', {http: 415})
    const raw = await readBody(req, SMS_BODY_LIMIT)
    let json: unknown
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new VcashError('invalid_json', 'request body is not valid JSON', {http: 400})
    }
    const parsed = smsSchema.safeParse(json)
    if (!parsed.success) throw validationError(parsed.error)
    const r = await ctx.service.ingestSms(store, {sender: parsed.data.sender, body: parsed.data.body, receivedAt: parsed.data.received_at ? new Date(parsed.data.received_at).toISOString() : null, source: 'api'})
    ctx.onChange()
    sendIngestResult(ctx, res, r)
  }
}

/**
 * Forwarder apps: their Authorization header (httpSMS) or none (SMS Gateway) is theirs,
 * so the device token rides in the URL: POST /api/sms/<app>?token=<device token>.
 */
export function forwarderRoutes(ctx: RouteContext): express.Router {
  const r = express.Router()
  const raw = express.raw({type: () => true, limit: SMS_BODY_LIMIT})
  const forwarder = (app: 'smsgateway' | 'httpsms', read: (body: Buffer, req: Request, key: string | null) => SmsForward | Promise<SmsForward>) =>
    r.post(`/api/sms/${app}`, raw, async (req, res) => {
      const token = typeof req.query.token === 'string' ? req.query.token : null
      const store = token ? await ctx.storage.findStoreByDeviceTokenHash(hashToken(token)) : undefined
      if (!store) throw new VcashError('unauthorized', 'a valid device token is required', {http: 401, suggestion: `Set the webhook URL in the app to …/api/sms/${app}?token=<device token>.`})
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      const sms = await read(body, req, store.forwarderSigningKey ?? null)
      const result = await ctx.service.ingestSms(store, {sender: sms.sender, body: sms.body, receivedAt: sms.receivedAt, source: app})
      ctx.onChange()
      sendIngestResult(ctx, res, result)
    })
  forwarder('smsgateway', (body, req, key) => {
    // SMS Gateway for Android always signs; without the key we could not tell its requests from anyone's.
    if (!key) throw new VcashError('forwarder_key_missing', 'this store has no forwarder signing key', {http: 409, suggestion: 'Copy the signing key from the SMS Gateway app settings: vcash store set --forwarder-signing-key KEY.'})
    return fromSmsGateway(body, req.headers, key)
  })
  // The JWT's audience is the URL httpSMS posts to, as the merchant typed it there: this request's
  // URL as the client saw it (scheme and host from a trusted proxy's X-Forwarded-Proto/Host).
  forwarder('httpsms', (body, req, key) => fromHttpSms(body, req.headers, key ? {signingKey: key, url: `${req.protocol}://${req.host}${req.originalUrl}`} : {}))
  return r
}
