import express, {type NextFunction, type Request, type Response} from 'express'
import {z} from 'zod'

import {VcashError} from '../../core/errors.js'
import type {StoreRecord, TransactionStatus} from '../../core/model.js'
import {tryNormalisePhone} from '../../core/phone.js'
import {hashToken} from '../../core/secrets.js'
import {validationError} from '../../core/store-settings.js'
import {transactionView} from '../../core/views.js'
import {bearer, clientIp} from '../http-util.js'
import type {Storage} from '../../storage/storage.js'
import type {RouteContext} from './context.js'

const STATUSES = ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED'] as const

const listSchema = z.object({
  status: z.enum(STATUSES).optional(),
  since: z.iso.datetime({offset: true}).optional(),
  until: z.iso.datetime({offset: true}).optional(),
  phone: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(200).optional(),
  store_id: z.string().max(64).optional(),
})

const decisionSchema = z.object({reason: z.string().trim().max(500).optional()}).strict()
const matchSchema = z.object({user_name: z.string().trim().min(1).max(200).optional(), client_id: z.string().trim().regex(/^\d{1,10}$/, 'digits').optional(), order_id: z.string().trim().min(1).max(128).optional()}).strict()

/** Middleware: the store of the API token in `Authorization: Bearer …` (read it with `storeOf`), or 401. */
export function storeTokenAuth(storage: Storage): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  // Tokens are random and stored hashed: a lookup by hash reveals nothing a timing could use.
  return async (req, _res, next) => {
    const token = bearer(req)
    const store = token ? await storage.findStoreByApiTokenHash(hashToken(token)) : undefined
    if (!store) throw new VcashError('unauthorized', 'a valid API token is required', {http: 401, suggestion: 'Send Authorization: Bearer <the store API token>.'})
    ;(req as Request & {store: StoreRecord}).store = store
    next()
  }
}

export const storeOf = (req: Request): StoreRecord => (req as Request & {store: StoreRecord}).store

/** The store API token's routes: the store's transactions, listed, shown and decided (contract §2, §4). */
export function transactionRoutes(ctx: RouteContext): express.Router {
  const {service, storage} = ctx
  const r = express.Router()
  const json = express.json({limit: '64kb', strict: true})

  const apiAuth = storeTokenAuth(storage)

  r.get('/api/transactions', apiAuth, async (req, res) => {
    const parsed = listSchema.safeParse(req.query)
    if (!parsed.success) throw validationError(parsed.error)
    const q = parsed.data
    let phone: string | undefined
    if (q.phone !== undefined) {
      const p = tryNormalisePhone(q.phone)
      if (p === null) throw new VcashError('invalid_input', 'phone: not an Egyptian mobile number', {http: 400, errors: [{field: 'phone', message: 'not an Egyptian mobile number'}]})
      phone = p
    }
    const page = await storage.listTransactions({
      storeId: storeOf(req).id,
      status: q.status as TransactionStatus | undefined,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      phone,
      limit: q.limit,
      cursor: q.cursor,
    })
    res.json({status: true, transactions: page.items.map(transactionView), next_cursor: page.nextCursor})
  })

  r.get('/api/transactions/:id', apiAuth, async (req, res) => {
    res.json({status: true, transaction: transactionView(await service.requireTransaction(String(req.params.id), storeOf(req).id))})
  })

  r.post('/api/transactions/:id/:decision', apiAuth, json, async (req, res) => {
    const by = `api:${clientIp(req, ctx.trusted)}`
    const storeId = storeOf(req).id
    const id = String(req.params.id)
    const decision = String(req.params.decision)
    let tx
    if (decision === 'match') {
      const m = matchSchema.safeParse(req.body ?? {})
      if (!m.success) throw validationError(m.error)
      tx = await service.match(id, {userName: m.data.user_name ?? null, clientId: m.data.client_id ?? null, orderId: m.data.order_id ?? null}, by, storeId)
    } else if (decision === 'approve' || decision === 'reject') {
      const body = decisionSchema.safeParse(req.body ?? {})
      if (!body.success) throw validationError(body.error)
      tx = decision === 'approve' ? await service.approve(id, by, storeId) : await service.reject(id, by, body.data.reason ?? null, storeId)
    } else {
      throw new VcashError('not_found', 'no such endpoint; use /approve, /reject or /match', {http: 404})
    }
    ctx.onChange()
    res.json({status: true, transaction: transactionView(tx)})
  })
  return r
}
