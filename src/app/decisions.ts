import {VcashError} from '../core/errors.js'
import type {NotificationEvent, TransactionRecord} from '../core/model.js'
import {transition} from '../core/transactions.js'
import {ConflictError} from '../storage/storage.js'
import {type AppContext, MAX_RETRIES} from './context.js'
import type {Intents} from './intents.js'
import type {Stores} from './stores.js'

/** What an operator decides: approve or reject a held payment, match an unclaimed transfer by hand. */
export class Decisions {
  constructor(private readonly ctx: AppContext, private readonly stores: Stores, private readonly intents?: Intents) {}

  async approve(id: string, by: string, storeId?: string): Promise<TransactionRecord> {
    return this.decide(id, 'COMPLETED', by, 'approved', storeId)
  }

  async reject(id: string, by: string, why: string | null, storeId?: string): Promise<TransactionRecord> {
    return this.decide(id, 'REJECTED', by, why ? `rejected: ${why}` : 'rejected', storeId)
  }

  /**
   * An operator completes an unclaimed PENDING transfer by naming the customer it belongs to
   * (contract §4): the audit trail names the operator, the merchant is notified as for a claim.
   */
  async match(id: string, customer: {userName: string | null; clientId: string | null; orderId?: string | null}, by: string, storeId?: string): Promise<TransactionRecord> {
    if (!customer.userName && !customer.clientId) {
      throw new VcashError('invalid_input', 'say which customer this transfer belongs to', {http: 400, suggestion: 'Pass --user-name and/or --client-id (user_name / client_id over HTTP).', errors: [{field: 'user_name', message: 'required (or client_id)'}]})
    }
    return this.decide(id, 'COMPLETED', by, `matched by hand to ${customer.userName ?? ''}${customer.clientId ? ` (client ${customer.clientId})` : ''}`.trim(), storeId, {from: 'PENDING', patch: {userName: customer.userName, clientId: customer.clientId, orderId: customer.orderId ?? null}})
  }

  private async decide(id: string, to: 'COMPLETED' | 'REJECTED', by: string, why: string, storeId?: string, o: {from: 'PENDING' | 'AWAITING_APPROVAL'; patch?: Partial<TransactionRecord>} = {from: 'AWAITING_APPROVAL'}): Promise<TransactionRecord> {
    for (let attempt = 0; ; attempt++) {
      const tx = await this.requireTransaction(id, storeId)
      if (tx.status !== o.from) {
        throw new VcashError('invalid_state', `transaction ${tx.id} is ${tx.status}; ${o.from === 'PENDING' ? 'only an unclaimed (PENDING) transfer can be matched' : 'only a transfer held for approval (AWAITING_APPROVAL) can be approved or rejected'}`, {
          http: 409,
          suggestion: tx.status === 'PENDING' ? 'Nobody has claimed it: complete it for a named customer with `vcash tx match <id> --user-name … --client-id …`.' : 'It has already been decided; see `vcash tx show`.',
        })
      }
      const store = await this.stores.require(tx.storeId)
      const now = this.ctx.now()
      const next = transition(tx, {to, by, why, at: now, patch: o.patch})
      const event: NotificationEvent = to === 'COMPLETED' ? 'transaction.completed' : 'transaction.rejected'
      const n = this.ctx.buildNotification(store, next, event, now)
      // A transfer held for a checkout page's intent decides the intent too, in the same commit.
      const follow = this.intents ? await this.intents.followDecision(store, next, by) : {intents: [], notifications: []}
      try {
        await this.ctx.storage.commit({transactions: [next], intents: follow.intents, notifications: [...(n ? [n] : []), ...follow.notifications]})
        if (n) this.ctx.emit({type: 'notification_queued', outcome: event})
        return next
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
      }
    }
  }

  async requireTransaction(id: string, storeId?: string): Promise<TransactionRecord> {
    const tx = await this.ctx.storage.getTransaction(id)
    // Another store's transaction is "not found", not "forbidden": ids must not leak.
    if (!tx || (storeId && tx.storeId !== storeId)) {
      throw new VcashError('transaction_not_found', `no transaction with id ${id}`, {http: 404, suggestion: 'List transactions with `vcash tx list`.'})
    }
    return tx
  }
}
