import express from 'express'
import {z} from 'zod'

import {validationError} from '../store-config.js'
import type {Storage} from '../storage/storage.js'
import {callbackView, listCallbacks, replayCallback, requireCallback, retryFailed, retryOne} from './admin.js'

const listQuery = z.object({
  state: z.enum(['pending', 'delivered', 'failed']).optional(),
  store_id: z.string().max(64).optional(),
  transaction_id: z.string().max(64).optional(),
  since: z.iso.datetime({offset: true}).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
})

/** The callbacks part of the loopback admin API (mounted under /admin behind its token). */
export function callbacksRouter(storage: Storage, opts: {devOverride: boolean; wake: () => void}): express.Router {
  const r = express.Router()
  const json = express.json({limit: '16kb'})
  r.get('/callbacks', (req, res) => {
    const q = listQuery.safeParse(req.query)
    if (!q.success) throw validationError(q.error)
    res.json({status: true, callbacks: listCallbacks(storage, {state: q.data.state, storeId: q.data.store_id, transactionId: q.data.transaction_id, since: q.data.since, limit: q.data.limit})})
  })
  r.get('/callbacks/:id', (req, res) => {
    res.json({status: true, callback: callbackView(requireCallback(storage, String(req.params.id)))})
  })
  r.post('/callbacks/:id/replay', json, async (req, res) => {
    const body = z.object({to: z.string().max(2000).optional(), force: z.boolean().optional()}).strict().safeParse(req.body ?? {})
    if (!body.success) throw validationError(body.error)
    res.json({status: true, ...(await replayCallback(storage, String(req.params.id), {...body.data, devOverride: opts.devOverride}))})
  })
  r.post('/callbacks/:id/retry', async (req, res) => {
    const callback = await retryOne(storage, String(req.params.id))
    opts.wake()
    res.json({status: true, callback})
  })
  r.post('/callbacks/retry', json, async (req, res) => {
    const body = z.object({since: z.iso.datetime({offset: true}).optional(), store_id: z.string().max(64).optional()}).strict().safeParse(req.body ?? {})
    if (!body.success) throw validationError(body.error)
    const callbacks = await retryFailed(storage, {since: body.data.since, storeId: body.data.store_id})
    opts.wake()
    res.json({status: true, callbacks})
  })
  return r
}
