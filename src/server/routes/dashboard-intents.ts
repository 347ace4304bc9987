import type express from 'express'
import type {NextFunction, Request, Response} from 'express'

import {INTENT_STATUSES} from '../../core/intents.js'
import type {IntentRecord, IntentStatus, TransactionRecord} from '../../core/model.js'
import {intentPage, intentsPage} from '../web/dashboard/intent-pages.js'
import type {View} from '../web/dashboard/layout.js'
import type {IntentsFor} from '../web/dashboard/pages.js'
import type {SafeHtml} from '../web/dashboard/html.js'
import type {RouteContext} from './context.js'

/** What dashboard.ts lends its intent pages: the signed-in view, the page sender, the POST wrapper. */
export interface DashboardKit {
  view(res: Response): View
  actor(res: Response): string
  withCounts(v: View): Promise<unknown>
  sendPage(res: Response, status: number, body: string): void
  flashOf(req: Request, v: View): SafeHtml
  act(fn: (req: Request, res: Response) => Promise<void>): (req: Request, res: Response, next: NextFunction) => Promise<void>
  /** A decision was made here: wake the dispatcher and the live pages, then go back (`back` or the fallback) with `done`. */
  decided(req: Request, res: Response, fallback: string, done: string): void
  str(v: unknown, max?: number): string
  idOf(req: Request): string
}

/** Pending intents a transfer could pay (same store and amount), read once per store and amount. */
export function pendingIntentsFor(ctx: RouteContext, items: TransactionRecord[]): Promise<IntentsFor> {
  const byKey = new Map<string, IntentRecord[]>()
  const key = (t: TransactionRecord) => `${t.storeId}\0${t.amount}`
  const wanted = [...new Map(items.filter((t) => t.status === 'PENDING').map((t) => [key(t), t])).values()]
  return Promise.all(wanted.map(async (t) => byKey.set(key(t), await ctx.storage.pendingIntentsByAmount(t.storeId, t.amount)))).then(() => (t) => byKey.get(key(t)) ?? [])
}

/**
 * The operator's payment intents: a list (status, search by order id or intent id), one intent
 * with its audit and transfer, cancel, and a match by hand with the use case behind
 * `POST /api/intents/:id/match`; and on an unclaimed transfer, paying a waiting intent with it.
 */
export function dashboardIntentRoutes(r: express.Router, ctx: RouteContext, k: DashboardKit): void {
  const {service, storage} = ctx

  r.get('/intents', async (req, res) => {
    const v = k.view(res)
    const filters = {status: k.str(req.query.status, 40), q: k.str(req.query.q, 128)}
    const status = (INTENT_STATUSES as string[]).includes(filters.status) ? (filters.status as IntentStatus) : undefined
    const [stores] = await Promise.all([storage.listStores(), k.withCounts(v)])
    const q = filters.q
    if (/^pi_[A-Za-z0-9_-]{8,64}$/.test(q) && (await storage.getIntent(q))) return res.redirect(303, `/dashboard/intents/${q}`)
    // An order id is unique per store: one look-up per store, no paging needed.
    const items = q
      ? (await Promise.all(stores.map((s) => storage.findIntentByOrderId(s.id, q)))).filter((i): i is IntentRecord => i !== undefined && (!status || i.status === status))
      : await storage.listIntents({status, limit: 100})
    k.sendPage(res, 200, intentsPage(v, {stores, items, filters, flash: k.flashOf(req, v)}))
  })

  r.get('/intents/:id', async (req, res) => {
    const v = k.view(res)
    const [intent] = await Promise.all([service.requireIntent(k.idOf(req)), k.withCounts(v)])
    const [store, tx, waiting] = await Promise.all([
      storage.getStore(intent.storeId),
      intent.transactionId ? storage.getTransaction(intent.transactionId) : undefined,
      intent.status === 'pending' ? storage.listTransactions({storeId: intent.storeId, status: 'PENDING', limit: 500}) : undefined,
    ])
    const candidates = (waiting?.items ?? []).filter((t) => t.amount === intent.amount)
    k.sendPage(res, 200, intentPage(v, {intent, store, tx, candidates, flash: k.flashOf(req, v)}))
  })

  r.post('/intents/:id/cancel', k.act(async (req, res) => {
    const intent = await service.requireIntent(k.idOf(req))
    await service.cancelIntent(intent.id, intent.storeId, k.actor(res))
    k.decided(req, res, `/dashboard/intents/${intent.id}`, 'cancelled')
  }))

  r.post('/intents/:id/match', k.act(async (req, res) => {
    const txId = k.str((req.body as Record<string, unknown>).transaction_id, 64)
    const intent = await service.matchIntent(k.idOf(req), txId, k.actor(res))
    k.decided(req, res, `/dashboard/intents/${intent.id}`, 'intent_paid')
  }))

  r.post('/transactions/:id/pay-intent', k.act(async (req, res) => {
    const intentId = k.str((req.body as Record<string, unknown>).intent_id, 100)
    await service.matchIntent(intentId, k.idOf(req), k.actor(res))
    k.decided(req, res, `/dashboard/transactions/${k.idOf(req)}`, 'intent_paid')
  }))
}
