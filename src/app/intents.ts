import {trippedRules} from '../core/antispam.js'
import {VcashError} from '../core/errors.js'
import {transitionIntent} from '../core/intents.js'
import type {IntentRecord, NotificationRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import {formatMoney, tryParseMoney} from '../core/money.js'
import {tryNormalisePhone} from '../core/phone.js'
import {newId} from '../core/secrets.js'
import {transition} from '../core/transactions.js'
import {ConflictError} from '../storage/storage.js'
import {ambiguousPayer, claimCandidates, normaliseReference, paidBy, type Payer, payerOf} from './checks.js'
import {type AppContext, MAX_RETRIES} from './context.js'
import type {Stores} from './stores.js'

export interface CreateIntentInput {
  storeId: string
  /** Decimal EGP ("505.00"); Arabic-Indic digits are accepted. */
  amount: string
  orderId: string
  expiresInMinutes?: number
  returnUrl?: string | null
  metadata?: Record<string, unknown> | null
  customerPhone?: string | null
  by: string
}

export interface ClaimIntentInput {
  intentId: string
  /** The wallet phone the payer sent from, as typed. */
  phone?: string | null
  /** Or, for a bank InstaPay transfer, its reference… */
  reference?: string | null
  /** …or the name on the payer's bank account, as the bank writes it (the SMS carries no phone)… */
  payerName?: string | null
  /** …or the payer's InstaPay address (name@instapay; the suffix may be left out). */
  payerAddress?: string | null
  by: string
}

/**
 * `paid` / `awaiting_approval`: a transfer was found and took the intent; `waiting`: the payer is
 * recorded and the transfer's SMS has not arrived yet (it will pay the intent when it does);
 * `closed`: the intent is no longer pending (paid, expired, cancelled…).
 */
export interface ClaimIntentResult {
  outcome: 'paid' | 'awaiting_approval' | 'waiting' | 'closed'
  intent: IntentRecord
}

/** Expiry leaves a claimed intent this long, so a transfer sent in the last minute and reported a little late still pays it. */
export const CLAIM_GRACE_MS = 10 * 60_000
export const DEFAULT_EXPIRES_MINUTES = 30
export const MAX_EXPIRES_MINUTES = 7 * 24 * 60

/**
 * Payment intents (contract §6): an order the merchant expects, paid on the checkout page. A claim
 * on the page (the payer's phone or bank reference) takes the oldest matching PENDING transfer by
 * the rules of payment_link_check (claimCandidates), whether its SMS came before the page was
 * opened or arrives after. The transfer and the intent change in one commit of two conditional
 * updates, with the notifications: an intent is paid once, a transfer pays one intent.
 */
export class Intents {
  constructor(private readonly ctx: AppContext, private readonly stores: Stores) {}

  async create(input: CreateIntentInput): Promise<{intent: IntentRecord; created: boolean}> {
    const store = await this.stores.require(input.storeId)
    if (store.callback.kind === 'whmcs') {
      throw new VcashError('intents_unsupported', 'this store credits WHMCS clients: its customers pay on the WHMCS invoice page, not through intents', {http: 409, suggestion: 'Use a store notified by GET callback or webhook for the checkout page.'})
    }
    const amount = tryParseMoney(input.amount)
    if (amount === null || amount <= 0) throw field('amount', 'not a positive amount with at most 2 decimals (e.g. 505.00)')
    const customerPhone = input.customerPhone ? tryNormalisePhone(input.customerPhone) : null
    if (input.customerPhone && customerPhone === null) throw field('customer_phone', 'not an Egyptian mobile number (e.g. 01012345678)')
    const returnUrl = input.returnUrl ? checkReturnUrl(input.returnUrl, store) : null
    const minutes = input.expiresInMinutes ?? DEFAULT_EXPIRES_MINUTES
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_EXPIRES_MINUTES) throw field('expires_in_minutes', `a whole number of minutes from 1 to ${MAX_EXPIRES_MINUTES}`)

    const existing = await this.ctx.storage.findIntentByOrderId(store.id, input.orderId)
    if (existing) return {intent: sameOrder(existing, amount), created: false}
    const now = this.ctx.now()
    const at = now.toISOString()
    const intent: IntentRecord = {
      id: newId('pi', 16),
      storeId: store.id,
      orderId: input.orderId,
      status: 'pending',
      amount,
      expiresAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
      returnUrl,
      metadata: input.metadata ?? null,
      customerPhone,
      payer: null,
      transactionId: null,
      createdAt: at,
      updatedAt: at,
      audit: [{at, by: input.by, from: null, to: 'pending', why: `created for order ${input.orderId}`}],
      version: 0,
    }
    try {
      await this.ctx.storage.commit({intents: [intent]})
    } catch (error) {
      // The same order created twice at once: the unique key kept the first; answer with it.
      if (!(error instanceof ConflictError)) throw error
      const first = await this.ctx.storage.findIntentByOrderId(store.id, input.orderId)
      if (!first) throw error
      return {intent: sameOrder(first, amount), created: false}
    }
    return {intent, created: true}
  }

  async require(id: string, storeId?: string): Promise<IntentRecord> {
    const i = /^pi_[A-Za-z0-9_-]{8,64}$/.test(id) ? await this.ctx.storage.getIntent(id) : undefined
    // Another store's intent is "not found": ids must not leak.
    if (!i || (storeId && i.storeId !== storeId)) throw new VcashError('intent_not_found', `no payment intent with id ${id}`, {http: 404})
    return i
  }

  findByOrder(storeId: string, orderId: string): Promise<IntentRecord | undefined> {
    return this.ctx.storage.findIntentByOrderId(storeId, orderId)
  }

  async cancel(id: string, storeId: string, by: string): Promise<IntentRecord> {
    for (let attempt = 0; ; attempt++) {
      const i = await this.require(id, storeId)
      if (i.status === 'cancelled') return i
      if (i.status !== 'pending') {
        throw new VcashError('invalid_state', `intent ${i.id} is ${i.status}; only a pending intent can be cancelled`, {http: 409})
      }
      const next = transitionIntent(i, {to: 'cancelled', by, why: 'cancelled by the merchant', at: this.ctx.now()})
      try {
        await this.ctx.storage.commit({intents: [next]})
        return next
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
      }
    }
  }

  /**
   * The payer says which phone (or bank reference) they paid from. It is recorded first and then
   * matched, so a receipt arriving in between finds it; the oldest PENDING transfer of that phone
   * and amount inside the store's window pays the intent.
   */
  async claim(input: ClaimIntentInput): Promise<ClaimIntentResult> {
    const reference = input.reference?.trim() ? normaliseReference(input.reference) : null
    if (input.reference?.trim() && reference === null) throw field('reference', 'not a transaction reference (letters and digits)')
    // The most exact thing the payer gave wins: a reference, an InstaPay address, a name, a phone.
    const payer = reference ? null : payerOf(input)
    if (payer?.kind === 'address' && !payer.value) throw field('payer_address', 'not an InstaPay address (name@instapay)')
    if (payer?.kind === 'name' && payer.value.length > 200) throw field('payer_name', 'at most 200 characters')
    const phone = !reference && !payer ? tryNormalisePhone(input.phone ?? '') : null
    if (!reference && !payer && phone === null) throw field('phone', 'not an Egyptian mobile number (e.g. 01012345678)')
    for (let attempt = 0; ; attempt++) {
      const intent = await this.require(input.intentId)
      const now = this.ctx.now()
      if (intent.status !== 'pending' || Date.parse(intent.expiresAt) <= now.getTime()) {
        return {outcome: 'closed', intent: await this.expireIfDue(intent)}
      }
      const store = await this.stores.require(intent.storeId)
      const recorded: IntentRecord = {
        ...intent,
        payer: {phone, reference, name: payer?.kind === 'name' ? payer.value : null, address: payer?.kind === 'address' ? payer.value : null, at: now.toISOString()},
        updatedAt: now.toISOString(),
      }
      try {
        await this.ctx.storage.commit({intents: [recorded]})
        const paid = await this.tryPay(store, recorded, input.by)
        if (paid) return {outcome: paid.status === 'paid' ? 'paid' : 'awaiting_approval', intent: paid}
        return {outcome: 'waiting', intent: recorded}
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
        // A receipt paid it meanwhile, or another tab claimed: read again.
      }
    }
  }

  /** A new PENDING transfer: pay the oldest pending intent whose payer named this phone, reference, bank name or InstaPay address. */
  async onReceipt(store: StoreRecord, tx: TransactionRecord): Promise<IntentRecord | null> {
    if (tx.status !== 'PENDING') return null
    const waiting = (await this.ctx.storage.pendingIntentsByAmount(store.id, tx.amount)).filter((i) => {
      if (!i.payer) return false
      if (i.payer.phone !== null && i.payer.phone === tx.senderPhone) return true
      if (i.payer.reference !== null && i.payer.reference === tx.reference) return true
      const named = intentPayer(i)
      // A name or an address claims only a credit without a payer phone, as payment_link_check does.
      return named !== null && tx.senderPhone === null && paidBy(tx, named)
    })
    for (const i of waiting) {
      try {
        const paid = await this.tryPay(store, i, 'sms')
        if (paid) return paid
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error
      }
    }
    return null
  }

  /**
   * Pending intents past their expiry become expired (`intent.expired`); a claimed one gets
   * CLAIM_GRACE_MS more. Claimed ones still pending are matched again on the way, so a receipt
   * whose own match was lost (a crash between the SMS's commit and the intent's) still pays.
   */
  async sweep(limit = 1000): Promise<number> {
    const now = this.ctx.now()
    const stores = new Map<string, StoreRecord>()
    const storeOf = async (id: string) => {
      let s = stores.get(id)
      if (!s) stores.set(id, (s = await this.stores.require(id)))
      return s
    }
    let expired = 0
    // Every pending intent, soonest expiry first (the partial index on pending intents).
    for (const i of await this.ctx.storage.pendingIntentsExpiringBefore(new Date(now.getTime() + MAX_EXPIRES_MINUTES * 60_000 + 1), limit)) {
      try {
        if (i.payer && (await this.tryPay(await storeOf(i.storeId), i, 'system'))) continue
        if ((await this.expireIfDue(i)).status === 'expired') expired++
      } catch (error) {
        // Paid or cancelled since it was read: not ours to expire.
        if (!(error instanceof ConflictError)) throw error
      }
    }
    return expired
  }

  /**
   * An operator pays a pending intent with an unclaimed transfer by hand (the customer typed a
   * wrong number, or never came back to the page): the same commit as a claim, audited with the
   * operator's name. The amounts must agree: a short payment is a conversation, not a match.
   */
  async matchByHand(intentId: string, transactionId: string, by: string, storeId?: string): Promise<IntentRecord> {
    for (let attempt = 0; ; attempt++) {
      const intent = await this.require(intentId, storeId)
      const tx = await this.ctx.storage.getTransaction(transactionId)
      if (!tx || tx.storeId !== intent.storeId) throw new VcashError('transaction_not_found', `no transaction with id ${transactionId}`, {http: 404})
      if (intent.status !== 'pending') throw new VcashError('invalid_state', `intent ${intent.id} is ${intent.status}; only a pending intent can be paid by hand`, {http: 409})
      if (tx.status !== 'PENDING') throw new VcashError('invalid_state', `transaction ${tx.id} is ${tx.status}; only an unclaimed (PENDING) transfer can pay an intent`, {http: 409})
      if (tx.amount !== intent.amount) throw new VcashError('amount_mismatch', `transaction ${tx.id} is ${formatMoney(tx.amount)} EGP, the intent asks ${formatMoney(intent.amount)}`, {http: 409})
      const store = await this.stores.require(intent.storeId)
      const now = this.ctx.now()
      const nextTx = transition(tx, {to: 'COMPLETED', by, why: `matched by hand to intent ${intent.id} (order ${intent.orderId})`, at: now, patch: {orderId: intent.orderId, intentId: intent.id, confirmedAt: now.toISOString()}})
      const nextIntent = transitionIntent(intent, {to: 'paid', by, why: `paid by hand with transfer ${tx.id}`, at: now, patch: {transactionId: tx.id}})
      const notifications = [this.ctx.buildNotification(store, nextTx, 'transaction.completed', now), this.ctx.buildIntentNotification?.(store, nextIntent, nextTx, 'intent.paid', now) ?? null]
        .filter((n): n is NotificationRecord => n !== null)
      try {
        await this.ctx.storage.commit({transactions: [nextTx], intents: [nextIntent], notifications})
        for (const n of notifications) this.ctx.emit({type: 'notification_queued', outcome: n.event})
        return nextIntent
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
      }
    }
  }

  /**
   * An operator approved or rejected a held transfer: the intent it is held for moves with it, in
   * the same commit (what Decisions adds to its batch).
   */
  async followDecision(store: StoreRecord, next: TransactionRecord, by: string): Promise<{intents: IntentRecord[]; notifications: NotificationRecord[]}> {
    if (!next.intentId || (next.status !== 'COMPLETED' && next.status !== 'REJECTED')) return {intents: [], notifications: []}
    const i = await this.ctx.storage.getIntent(next.intentId)
    if (!i || i.status !== 'awaiting_approval' || i.transactionId !== next.id) return {intents: [], notifications: []}
    const now = this.ctx.now()
    const paid = next.status === 'COMPLETED'
    const moved = transitionIntent(i, {to: paid ? 'paid' : 'rejected', by, why: paid ? `transfer ${next.id} approved` : `transfer ${next.id} rejected`, at: now})
    const n = paid ? this.ctx.buildIntentNotification?.(store, moved, next, 'intent.paid', now) : null
    return {intents: [moved], notifications: n ? [n] : []}
  }

  private async expireIfDue(i: IntentRecord): Promise<IntentRecord> {
    const now = this.ctx.now()
    const due = Date.parse(i.expiresAt) + (i.payer ? CLAIM_GRACE_MS : 0)
    if (i.status !== 'pending' || now.getTime() < due) return i
    const store = await this.stores.require(i.storeId)
    const next = transitionIntent(i, {to: 'expired', by: 'system', why: i.payer ? 'no matching transfer arrived in time' : 'not paid in time', at: now})
    const n = this.ctx.buildIntentNotification?.(store, next, null, 'intent.expired', now)
    await this.ctx.storage.commit({intents: [next], notifications: n ? [n] : []})
    if (n) this.ctx.emit({type: 'notification_queued', outcome: 'intent.expired'})
    return next
  }

  /** Take the oldest open transfer of the intent's payer: null when there is none yet. Throws ConflictError on a race. */
  private async tryPay(store: StoreRecord, intent: IntentRecord, by: string): Promise<IntentRecord | null> {
    const payer = intent.payer
    const now = this.ctx.now()
    const nowMs = now.getTime()
    if (!payer || intent.status !== 'pending') return null
    // Past expiry only a payer who spoke up in time is still waited for (the grace).
    if (nowMs >= Date.parse(intent.expiresAt) + (Date.parse(payer.at) < Date.parse(intent.expiresAt) ? CLAIM_GRACE_MS : 0)) return null
    const named = intentPayer(intent)
    const {pending} = await claimCandidates(this.ctx.storage, store, {phone: payer.phone, reference: payer.reference, payer: named, amount: intent.amount}, nowMs)
    const tx = pending[0]
    if (!tx) return null
    const paidBefore = payer.phone !== null && store.antiSpam.enabled && store.antiSpam.rules.firstPayment ? await this.ctx.storage.hasPaid(store.id, payer.phone) : false
    // The gates set at ingest (age, receiving wallet, balance chain, no sender id) hold a receipt
    // whoever claims it: a checkout page no more than payment_link_check.
    const held = [...(tx.holds ?? []).map((h) => h.gate), ...ambiguousPayer(named, pending), ...trippedRules(store, {tx, phoneHasPaidBefore: () => paidBefore, recentFailedChecks: 0, otherPendingSameClaim: pending.length - 1})]
    const at = now.toISOString()
    const patch = {orderId: intent.orderId, intentId: intent.id, heldBy: held, confirmedAt: held.length === 0 ? at : null}
    const nextTx = held.length > 0
      ? transition(tx, {to: 'AWAITING_APPROVAL', by: `${by}:intent`, why: `held: ${held.join(', ')} (intent ${intent.id})`, at: now, patch})
      : transition(tx, {to: 'COMPLETED', by: `${by}:intent`, why: `paid intent ${intent.id} for order ${intent.orderId}`, at: now, patch})
    const nextIntent = transitionIntent(intent, {
      to: held.length > 0 ? 'awaiting_approval' : 'paid',
      by,
      why: held.length > 0 ? `transfer ${tx.id} held for approval` : `paid by transfer ${tx.id}`,
      at: now,
      patch: {transactionId: tx.id},
    })
    const notifications = [
      this.ctx.buildNotification(store, nextTx, held.length > 0 ? 'transaction.awaiting_approval' : 'transaction.completed', now),
      held.length > 0 ? null : this.ctx.buildIntentNotification?.(store, nextIntent, nextTx, 'intent.paid', now) ?? null,
    ].filter((n): n is NotificationRecord => n !== null)
    await this.ctx.storage.commit({transactions: [nextTx], intents: [nextIntent], notifications})
    for (const n of notifications) this.ctx.emit({type: 'notification_queued', outcome: n.event})
    return nextIntent
  }
}

/** The bank name or InstaPay address an intent's payer gave (claims without a phone), as checks.ts matches it. */
function intentPayer(i: IntentRecord): Payer | null {
  if (i.payer?.address) return {kind: 'address', value: i.payer.address}
  if (i.payer?.name) return {kind: 'name', value: i.payer.name}
  return null
}

function field(name: string, message: string): VcashError {
  return new VcashError('invalid_input', `${name}: ${message}`, {http: 400, errors: [{field: name, message}]})
}

/** An order's second create is answered with its intent, unless it asks for another amount (a merchant bug to surface). */
function sameOrder(existing: IntentRecord, amount: number): IntentRecord {
  if (existing.amount !== amount) {
    throw new VcashError('order_conflict', `order ${existing.orderId} already has intent ${existing.id} for another amount`, {http: 409, suggestion: 'Use a new order_id for a new amount, or cancel the old intent first.'})
  }
  return existing
}

/** Where the customer is sent back: https (http only for a development store, e.g. localhost). */
function checkReturnUrl(input: string, store: StoreRecord): string {
  let u: URL
  try {
    u = new URL(input)
  } catch {
    throw field('return_url', 'not an absolute URL')
  }
  const ok = u.protocol === 'https:' || (u.protocol === 'http:' && store.mode === 'development')
  // The signed result is appended as a query: a fragment would swallow it.
  u.hash = ''
  if (!ok || u.username || u.password || input.length > 2000) throw field('return_url', store.mode === 'development' ? 'an http(s) URL without credentials' : 'an https URL without credentials')
  return u.toString()
}
