import type {EventEmitter} from 'node:events'

import express from 'express'

import type {NotificationRecord} from '../../core/model.js'
import type {Storage} from '../../storage/storage.js'
import type {WireEvent} from '../../core/wire.js'
import {buildRequest} from '../../notify/send.js'

/** `vcash listen`'s stream on the loopback admin API (mounted under /admin behind its token). */
export function eventsRouter(storage: Storage, opts: {bus: EventEmitter<{notification: [NotificationRecord]}>}): express.Router {
  const r = express.Router()
  // Server-sent events: every notification as the exact request, for `vcash listen`.
  r.get('/events', (req, res) => {
    const storeId = typeof req.query.store_id === 'string' ? req.query.store_id : undefined
    res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
    res.write(': connected\n\n')
    const send = async (n: NotificationRecord) => {
      const store = await storage.getStore(n.storeId)
      if (!store || (storeId && n.storeId !== storeId)) return
      // A placeholder base: listen swaps in its --forward-to URL, and it never relay-wraps.
      const w = buildRequest(store, n, new Date(), 'http://listen.invalid/')
      const query = w.method === 'GET' ? w.url.split('?')[1] ?? null : null
      const e: WireEvent = {id: n.id, event: n.event, channel: n.channel, transaction_id: n.transactionId, method: w.method, query, headers: w.headers, body: w.body ?? null}
      res.write(`data: ${JSON.stringify(e)}\n\n`)
    }
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    const listener = (n: NotificationRecord) => void send(n).catch(() => {})
    opts.bus.on('notification', listener)
    req.on('close', () => {
      clearInterval(ping)
      opts.bus.off('notification', listener)
    })
  })
  return r
}
