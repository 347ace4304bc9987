import express from 'express'
import {z} from 'zod'

import {VcashError} from '../../core/errors.js'
import {hashToken, tokenMatches} from '../../core/secrets.js'
import {validationError} from '../../core/store-settings.js'
import {bearer, isDirectLoopback} from '../http-util.js'
import {type RouteContext, sendIngestResult} from './context.js'
import {smsDevice} from './devices.js'

const adminSmsSchema = z.object({store_id: z.string().max(64).optional(), sender: z.string().min(1).max(64), body: z.string().min(1).max(10_000), received_at: z.iso.datetime({offset: true}).nullable().optional(), source: z.string().max(20).optional()})

/**
 * The loopback admin API (mounted under /admin): only what local tools need from the running
 * process — the SMS of a local `vcash sms tail`, which holds no device token, and `extra`
 * (the event stream, a dev server's clock). Everything else a command does on the ledger.
 */
export function adminRoutes(ctx: RouteContext, extra: express.Router[]): express.Router {
  const admin = express.Router()
  const adminTokenHash = hashToken(ctx.adminToken)
  admin.use((req, _res, next) => {
    // Only a tool on this machine: a proxy on loopback relaying the internet says so in its headers.
    if (!isDirectLoopback(req)) throw new VcashError('not_found', 'no such endpoint; see /openapi.json', {http: 404})
    const t = bearer(req)
    if (!t || !tokenMatches(t, adminTokenHash)) throw new VcashError('unauthorized', 'admin token required', {http: 401})
    next()
  })
  admin.get('/stores', async (_req, res) => {
    res.json({status: true, stores: (await ctx.storage.listStores()).map((s) => ({id: s.id, name: s.name}))})
  })
  admin.post('/sms', express.json({limit: '64kb', strict: true}), async (req, res) => {
    const body = adminSmsSchema.safeParse(req.body)
    if (!body.success) throw validationError(body.error)
    const store = await ctx.service.resolveStore(body.data.store_id)
    const r = await ctx.service.ingestSms(store, {sender: body.data.sender, body: body.data.body, receivedAt: body.data.received_at ?? null, source: body.data.source ?? 'cli', device: smsDevice(req, null)})
    ctx.onChange()
    sendIngestResult(ctx, res, r)
  })
  for (const r of extra) admin.use(r)
  return admin
}
