import {VcashError} from '../core/errors.js'
import type {DeliveryAttempt, NotificationRecord} from '../core/model.js'
import {ConflictError, type NotificationQuery, type Storage} from '../storage/storage.js'
import {creditId} from './dispatcher.js'
import {sendNotification} from './send.js'
import type {Lookup} from './url-guard.js'

/** The operator's view of a notification (payload kept: it is what the merchant receives). */
export interface CallbackView {
  id: string
  store_id: string
  transaction_id: string
  event: string
  channel: string
  state: NotificationRecord['state']
  created_at: string
  next_attempt_at: string | null
  last_error: string | null
  attempts: DeliveryAttempt[]
  payload: Record<string, unknown>
}

export function callbackView(n: NotificationRecord): CallbackView {
  return {
    id: n.id,
    store_id: n.storeId,
    transaction_id: n.transactionId,
    event: n.event,
    channel: n.channel,
    state: n.state,
    created_at: n.createdAt,
    next_attempt_at: n.nextAttemptAt,
    last_error: n.lastError,
    attempts: n.attempts,
    payload: n.payload,
  }
}

export async function listCallbacks(storage: Storage, q: NotificationQuery): Promise<CallbackView[]> {
  return (await storage.listNotifications({...q, limit: q.limit ?? 100})).map(callbackView)
}

export async function requireCallback(storage: Storage, id: string): Promise<NotificationRecord> {
  const n = await storage.getNotification(id)
  if (!n) throw new VcashError('callback_not_found', `no notification with id ${id}`, {http: 404, suggestion: 'List them with `vcash callbacks list`.'})
  return n
}

export interface ReplayOptions {
  to?: string
  /** WHMCS: credit again even though the ledger says this transaction was credited. */
  force?: boolean
  devOverride?: boolean
  lookup?: Lookup
  now?: () => Date
  timeoutMs?: number
}

export interface ReplayResult {
  callback: CallbackView
  attempt: DeliveryAttempt
  delivered: boolean
}

/**
 * Re-send the same event (same id and body, signed afresh now) to the store's URL or another
 * one. The WHMCS ledger still guards against a second credit.
 */
export async function replayCallback(storage: Storage, id: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const n = await requireCallback(storage, id)
  const store = await storage.getStore(n.storeId)
  if (!store) throw new VcashError('store_not_found', `store ${n.storeId} no longer exists`, {http: 404})
  const credited = n.channel === 'whmcs' ? await storage.getCredit(creditId(n)) : undefined
  if (credited && !opts.force) {
    throw new VcashError('already_credited', credited.state === 'sending'
      ? `transaction ${n.transactionId} is being credited to WHMCS client ${credited.clientId} (an attempt at ${credited.at} has no answer yet; the dispatcher asks WHMCS before sending again)`
      : `transaction ${n.transactionId} was already credited to WHMCS client ${credited.clientId} at ${credited.at}; nothing was sent`, {
      http: 409,
      suggestion: 'Pass --force only if you are sure WHMCS did not add that credit.',
    })
  }
  if (opts.to !== undefined) {
    try {
      new URL(opts.to)
    } catch {
      throw new VcashError('invalid_input', `--to "${opts.to}" is not a URL`, {http: 400})
    }
  }
  const now = opts.now ?? (() => new Date())
  // A replay to another URL is a developer's tool (a local server): allowed like development mode.
  const production = opts.to === undefined && store.mode === 'production' && !opts.devOverride
  const r = await sendNotification(store, n, {to: opts.to, production, timeoutMs: opts.timeoutMs ?? 10_000, lookup: opts.lookup, now})
  const attempt = {...r.attempt, replay: true}
  for (let i = 0; i < 3; i++) {
    const cur = (await storage.getNotification(id))!
    const toStore = opts.to === undefined
    const next: NotificationRecord = {
      ...cur,
      attempts: [...cur.attempts, attempt],
      ...(toStore && r.delivered ? {state: 'delivered' as const, nextAttemptAt: null, lastError: null} : {}),
    }
    const credits = n.channel === 'whmcs' && r.delivered
      ? [{...((await storage.getCredit(creditId(n))) ?? {version: 0}), id: creditId(n), storeId: n.storeId, transactionId: n.transactionId, clientId: String(n.payload.clientid ?? ''), amount: String(n.payload.amount ?? ''), at: attempt.at, whmcsResponse: r.whmcsResponse ?? null, state: 'confirmed' as const}]
      : []
    try {
      await storage.commit({notifications: [next], credits})
      return {callback: callbackView(next), attempt, delivered: r.delivered}
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
    }
  }
  throw new VcashError('conflict', 'the notification kept changing; retry', {http: 409})
}

/** Put failed notifications back in the queue (bulk recovery after an outage). */
export async function retryFailed(storage: Storage, opts: {since?: Date; storeId?: string; now?: Date} = {}): Promise<CallbackView[]> {
  const at = (opts.now ?? new Date()).toISOString()
  const failed = await storage.listNotifications({state: 'failed', since: opts.since, storeId: opts.storeId})
  const next = failed.map((n) => ({...n, state: 'pending' as const, nextAttemptAt: at, lastError: n.lastError}))
  if (next.length > 0) await storage.commit({notifications: next})
  return next.map(callbackView)
}

/** Retry one notification now, whatever its state (after fixing a configuration error). */
export async function retryOne(storage: Storage, id: string, now = new Date()): Promise<CallbackView> {
  const n = await requireCallback(storage, id)
  if (n.state === 'delivered') throw new VcashError('already_delivered', `notification ${id} was delivered; use replay to send it again`, {http: 409})
  const next = {...n, state: 'pending' as const, nextAttemptAt: now.toISOString()}
  await storage.commit({notifications: [next]})
  return callbackView(next)
}
