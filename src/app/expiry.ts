import {transition} from '../core/transactions.js'
import {ConflictError} from '../storage/storage.js'
import type {AppContext} from './context.js'

/**
 * One store's sweep as if its clock ran `aheadMs` ahead (`vcash simulate`'s advance_clock on a
 * shared server): only that store's transfers, and the server's real clock stays where it is.
 */
export interface ExpiryScope {
  storeId: string
  aheadMs: number
}

/** PENDING transfers past their store's match window become EXPIRED. */
export async function expireDue(ctx: AppContext, limit = 1000, scope?: ExpiryScope): Promise<number> {
  const now = ctx.now()
  // Expired "now" (so notifications are due now), judged against the scope's shifted clock.
  const judged = now.getTime() + (scope?.aheadMs ?? 0)
  const stores = new Map((await ctx.storage.listStores()).filter((st) => !scope || st.id === scope.storeId).map((st) => [st.id, st]))
  if (stores.size === 0) return 0
  const minWindow = Math.min(...[...stores.values()].map((st) => st.matchWindowMinutes))
  // Scoped: that store's PENDING transfers only, so other stores' backlog cannot crowd them out.
  const candidates = scope
    ? (await ctx.storage.listTransactions({storeId: scope.storeId, status: 'PENDING', limit})).items
    : await ctx.storage.pendingReceivedBefore(new Date(judged - minWindow * 60_000), limit)
  let expired = 0
  for (const tx of candidates) {
    const store = stores.get(tx.storeId)
    if (!store || Date.parse(tx.receivedAt) >= judged - store.matchWindowMinutes * 60_000) continue
    const next = transition(tx, {to: 'EXPIRED', by: 'system', why: `not claimed within ${store.matchWindowMinutes} minutes`, at: now})
    const n = ctx.buildNotification(store, next, 'transaction.expired', now)
    try {
      await ctx.storage.commit({transactions: [next], notifications: n ? [n] : []})
      expired++
    } catch (error) {
      // Claimed (or expired by another sweep) since it was read: not ours to expire.
      if (!(error instanceof ConflictError)) throw error
    }
  }
  return expired
}
