import express from 'express'

import {VcashError} from '../../core/errors.js'
import {tokenMatches} from '../../core/secrets.js'
import {bearer, isDirectLoopback} from '../http-util.js'
import {openApiDocument} from '../openapi.js'
import type {RouteContext} from './context.js'

/** What anyone may read: liveness, metrics, the API description, a store's public rate. */
export function publicRoutes(ctx: RouteContext): express.Router {
  const r = express.Router()
  // Liveness for a load balancer: is the ledger readable and writable? No counts (it is public behind a proxy).
  r.get('/healthz', async (_req, res) => {
    const fault = ctx.storage.writeFault()
    if (fault) {
      res.status(503).set('retry-after', '30').json({status: false, ok: false, code: 'storage_unavailable', message: `storage unavailable: ${fault}`})
      return
    }
    await ctx.storage.getStore('') // a read proves the ledger opens
    res.json({status: true, ok: true})
  })
  // Counts of SMS, checks and stores are the merchant's business: a local scraper (a direct
  // loopback peer, not a proxy relaying someone) or one holding --metrics-token.
  r.get('/metrics', async (req, res) => {
    const token = bearer(req)
    const allowed = ctx.metricsTokenHash && token ? tokenMatches(token, ctx.metricsTokenHash) : isDirectLoopback(req)
    if (!allowed) {
      if (ctx.metricsTokenHash) throw new VcashError('unauthorized', 'a valid metrics token is required', {http: 401, suggestion: 'Send Authorization: Bearer <the --metrics-token of this server>.'})
      throw new VcashError('not_found', 'no such endpoint; see /openapi.json', {http: 404})
    }
    res.set('content-type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics())
  })
  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument())
  })

  // The WHMCS module's invoice page fetches this from the browser: open CORS, no secrets.
  r.options('/api/public/store/:storeId/rate', (_req, res) => {
    res.set({'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-max-age': '86400'}).status(204).end()
  })
  r.get('/api/public/store/:storeId/rate', async (req, res) => {
    res.set('access-control-allow-origin', '*')
    const store = await ctx.service.findStore(String(req.params.storeId))
    if (!store) throw new VcashError('store_not_found', 'Unknown store.', {http: 404})
    res.json({status: true, rate: store.rate, currency_label: store.currencyLabel})
  })
  return r
}
