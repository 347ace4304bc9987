import type {IncomingMessage} from 'node:http'

import express from 'express'
import {z} from 'zod'

import {VcashError} from '../../core/errors.js'
import {INTENT_STATUSES, intentView} from '../../core/intents.js'
import type {IntentRecord, IntentStatus, StoreRecord} from '../../core/model.js'
import {validationError} from '../../core/store-settings.js'
import {clientIp, normaliseIp, type TrustProxy} from '../http-util.js'
import type {RouteContext} from './context.js'
import {storeOf, storeTokenAuth} from './transactions.js'

const METADATA_LIMIT = 4096

const createSchema = z.object({
  // A decimal string, never a JSON number: 505.1 as a float is not the merchant's 505.10.
  amount: z.string({error: 'a decimal string, e.g. "505.00"'}).min(1).max(30),
  order_id: z.string().trim().min(1).max(128),
  expires_in_minutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
  return_url: z.string().max(2000).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish().refine((m) => m == null || JSON.stringify(m).length <= METADATA_LIMIT, `at most ${METADATA_LIMIT} bytes of JSON`),
  customer_phone: z.string().max(40).nullish(),
}).strict()

const listSchema = z.object({
  order_id: z.string().trim().min(1).max(128).optional(),
  status: z.enum(INTENT_STATUSES as [IntentStatus, ...IntentStatus[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})

/**
 * Where customers reach this server: the Host it was called on, or, from a trusted proxy, the
 * X-Forwarded-Proto/-Host it says (`--trust-proxy`), so checkout_url is the public address.
 */
export function publicBase(req: IncomingMessage, trust: TrustProxy): string {
  const peer = normaliseIp(req.socket.remoteAddress ?? '')
  const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h)?.split(',')[0]?.trim()
  const viaProxy = trust(peer, 0)
  const proto = viaProxy && first(req.headers['x-forwarded-proto']) === 'https' ? 'https' : 'http'
  const host = (viaProxy ? first(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host ?? 'localhost'
  // A Host header is the caller's text: keep it to what a host[:port] may be.
  return `${proto}://${/^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : 'localhost'}`
}

/** `POST /api/intents` and friends (contract §6), with the store API token. */
export function intentRoutes(ctx: RouteContext): express.Router {
  const {service} = ctx
  const r = express.Router()
  const json = express.json({limit: '16kb', strict: true})
  const auth = storeTokenAuth(ctx.storage)
  const view = (req: express.Request, i: IntentRecord, store: StoreRecord) => intentView(i, store.payTo ?? [], publicBase(req, ctx.trusted))
  const by = (req: express.Request) => `api:${clientIp(req, ctx.trusted)}`

  r.post('/api/intents', auth, json, async (req, res) => {
    const parsed = createSchema.safeParse(req.body ?? {})
    if (!parsed.success) throw validationError(parsed.error)
    const b = parsed.data
    const store = storeOf(req)
    const {intent, created} = await service.createIntent({
      storeId: store.id, amount: b.amount, orderId: b.order_id, expiresInMinutes: b.expires_in_minutes, returnUrl: b.return_url ?? null,
      metadata: b.metadata ?? null, customerPhone: b.customer_phone ?? null, by: by(req),
    })
    res.status(created ? 201 : 200).json(view(req, intent, store))
  })

  r.get('/api/intents', auth, async (req, res) => {
    const parsed = listSchema.safeParse(req.query)
    if (!parsed.success) throw validationError(parsed.error)
    const store = storeOf(req)
    if (parsed.data.order_id !== undefined) {
      // An order has at most one intent: answer it as GET /api/intents/:id would.
      const i = await service.findIntentByOrder(store.id, parsed.data.order_id)
      if (!i) throw new VcashError('intent_not_found', `no payment intent for order ${parsed.data.order_id}`, {http: 404})
      res.json(view(req, i, store))
      return
    }
    const items = await ctx.storage.listIntents({storeId: store.id, status: parsed.data.status, limit: parsed.data.limit})
    res.json({status: true, intents: items.map((i) => view(req, i, store))})
  })

  r.get('/api/intents/:id', auth, async (req, res) => {
    const store = storeOf(req)
    res.json(view(req, await service.requireIntent(String(req.params.id), store.id), store))
  })

  // An operator's manual match: a PENDING transfer pays this pending intent (same amount).
  r.post('/api/intents/:id/match', auth, json, async (req, res) => {
    const parsed = z.object({transaction_id: z.string().min(1).max(64)}).strict().safeParse(req.body ?? {})
    if (!parsed.success) throw validationError(parsed.error)
    const store = storeOf(req)
    const i = await service.matchIntent(String(req.params.id), parsed.data.transaction_id, by(req), store.id)
    ctx.onChange()
    res.json(view(req, i, store))
  })

  r.post('/api/intents/:id/cancel', auth, async (req, res) => {
    const store = storeOf(req)
    const i = await service.cancelIntent(String(req.params.id), store.id, by(req))
    ctx.onChange()
    res.json(view(req, i, store))
  })
  return r
}
