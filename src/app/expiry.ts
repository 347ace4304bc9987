import {transition} from '../core/transactions.js'
import {ConflictError} from '../storage/storage.js'
import type {AppContext} from './context.js'

/** PENDING transfers past their store's match window become EXPIRED. */
export async function expireDue(ctx: AppContext, limit = 1000): Promise<number> {
  const now = ctx.now()
  const stores = new Map((await ctx.storage.listStores()).map((st) => [st.id, st]))
  if (stores.size === 0) return 0
  const minWindow = Math.min(...[...stores.values()].map((st) => st.matchWindowMinutes))
  const candidates = await ctx.storage.pendingReceivedBefore(new Date(now.getTime() - minWindow * 60_000), limit)
  let expired = 0
  for (const tx of candidates) {
    const store = stores.get(tx.storeId)
    if (!store || Date.parse(tx.receivedAt) >= now.getTime() - store.matchWindowMinutes * 60_000) continue
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
