import {trippedRules} from '../core/antispam.js'
import {type Lang, message} from '../core/messages.js'
import type {NotificationEvent, StoreRecord, TransactionRecord} from '../core/model.js'
import {formatMoney, type Piastres, tryParseMoney} from '../core/money.js'
import {matchPayerName, normaliseName} from '../core/names.js'
import {tryNormalisePhone} from '../core/phone.js'
import {callerKey, type FailedChecks, type FailedChecksFactory, inMemoryFailedChecks} from '../core/rate-limit.js'
import {normaliseText} from '../core/text.js'
import {transition} from '../core/transactions.js'
import {ConflictError, type CountedKey, type Storage} from '../storage/storage.js'
import {type AppContext, MAX_RETRIES} from './context.js'
import type {Stores} from './stores.js'

export interface CheckInput {
  storeId: string
  /** The customer's wallet phone; may be empty when a reference is given. */
  phone: string
  /** The wallet's transaction reference, for transfers whose SMS has no payer phone. */
  reference?: string | null
  /** Bank InstaPay credits carry no phone: the payer's name as the bank wrote it… */
  payerName?: string | null
  /** …or the payer's InstaPay address (name@instapay). */
  payerAddress?: string | null
  amount: string
  userName: string | null
  clientId: string | null
  /** The caller's idempotency key: the same order_id repeated gets the same answer. */
  orderId?: string | null
  lang: Lang
  /** The caller's address, for rate limiting and the audit trail. */
  ip: string
}

export type CheckOutcome = 'completed' | 'awaiting_approval' | 'not_found' | 'rejected' | 'already_confirmed' | 'credit_pending' | 'rate_limited' | 'invalid_input'

export interface CheckResult {
  outcome: CheckOutcome
  /** HTTP status: 200 for every business outcome (the WHMCS module reads the body). */
  http: number
  body: Record<string, unknown>
  retryAfter?: number
  transaction?: TransactionRecord
}

export interface CheckOptions {
  /** Failed checks allowed per store and caller (IPv4 address, IPv6 /64) per window. */
  failedCheckLimit?: number
  failedCheckWindowMs?: number
  /**
   * Where failed checks are counted (per caller, and per claim for anti-spam): this process by
   * default; the composition root passes the shared database's counters when instances share one.
   */
  failedChecks?: FailedChecksFactory
  /** How long after completion a repeat by the same customer is recognised as one (already_confirmed). */
  idempotencyWindowMs?: number
  /**
   * WHMCS stores: wait (bounded) until WHMCS confirmed the credit of this completion. Wired to
   * the dispatcher by `vcash serve`; without it (a CLI process) the answer is credit_pending.
   */
  awaitCredit?: (tx: TransactionRecord, timeoutMs: number) => Promise<boolean>
  /** How long a check waits for WHMCS, well inside the module's 30 s timeout. */
  creditWaitMs?: number
}

/** Why a claim waits for the operator: the gates' codes (their reasons are in the trail already) and anti-spam's rules. */
function holdReason(held: string[], gates: number, input: CheckInput): string {
  const spam = held.slice(gates)
  if (gates === 0) return `held by anti-spam: ${spam.join(', ')}`
  const who = input.userName ?? input.clientId ?? 'an anonymous check'
  return `claimed by ${who}; held by the gates: ${held.slice(0, gates).join(', ')}${spam.length > 0 ? `; held by anti-spam: ${spam.join(', ')}` : ''}`
}

/**
 * The transfers a claim is about (contract §3): every transfer of the store with that phone (or
 * wallet reference) and amount, oldest received first; `pending` are those a claim may take now,
 * PENDING and received inside the store's match window. A checkout page's claim uses the same.
 */
export async function claimCandidates(storage: Storage, store: StoreRecord, c: {phone: string | null; reference: string | null; payer?: Payer | null; amount: Piastres}, nowMs: number): Promise<{candidates: TransactionRecord[]; pending: TransactionRecord[]}> {
  const candidates = c.reference
    ? (await storage.byReference(store.id, c.reference)).filter((t) => t.amount === c.amount && (c.phone === null || t.senderPhone === c.phone))
    : c.phone !== null
      ? await storage.byClaim(store.id, c.phone, c.amount)
      : c.payer
        ? (await storage.phonelessByAmount(store.id, c.amount)).filter((t) => paidBy(t, c.payer!))
        : []
  return {candidates, pending: pendingOf(store, candidates, nowMs)}
}

/** Of a claim's candidates, those it may take now: PENDING and received inside the store's match window. */
function pendingOf(store: StoreRecord, candidates: TransactionRecord[], nowMs: number): TransactionRecord[] {
  const windowStart = nowMs - store.matchWindowMinutes * 60_000
  return candidates.filter((t) => t.status === 'PENDING' && Date.parse(t.receivedAt) >= windowStart)
}

/** A reference as typed (spaces, Arabic-Indic digits) to the form SMS parsing stores; null when it is not one. */
export function normaliseReference(input: string): string | null {
  const r = normaliseText(input).replace(/\s+/g, '')
  return /^[A-Za-z0-9]{4,40}$/.test(r) ? r : null
}

/**
 * A customer's claim (`payment_link_check`, contract §3): the oldest PENDING transfer of that
 * phone (or reference) and amount completes once; `true` is said once per transfer.
 */
export class Checks {
  private readonly failedByIp: FailedChecks
  /** Anti-spam's failed-checks-before rule: failures per claim (phone, reference or payer) in the last hour. */
  private readonly failedByPhone: FailedChecks
  private readonly failedLimit: number
  private readonly idempotencyMs: number
  private readonly awaitCredit: (tx: TransactionRecord, timeoutMs: number) => Promise<boolean>
  private readonly creditWaitMs: number

  constructor(private readonly ctx: AppContext, private readonly stores: Stores, opts: CheckOptions = {}) {
    this.failedLimit = opts.failedCheckLimit ?? 60
    const counter = opts.failedChecks ?? inMemoryFailedChecks
    this.failedByIp = counter('caller', opts.failedCheckWindowMs ?? 10 * 60 * 1000)
    this.failedByPhone = counter('claim', 60 * 60 * 1000)
    this.idempotencyMs = opts.idempotencyWindowMs ?? 30 * 60 * 1000
    this.awaitCredit = opts.awaitCredit ?? (async () => false)
    this.creditWaitMs = opts.creditWaitMs ?? 15_000
  }

  async run(input: CheckInput): Promise<CheckResult> {
    const store = (await this.stores.find(input.storeId)) ?? (await this.stores.require(input.storeId))
    const {lang} = input
    const reference = input.reference ? normaliseText(input.reference).replace(/\s+/g, '') : null
    const badReference = reference !== null && !/^[A-Za-z0-9]{4,40}$/.test(reference)
    const payer = payerOf(input)
    // A reference, a payer name or an InstaPay address alone is enough (Orange Cash and bank
    // InstaPay SMS carry no payer phone).
    const phoneless = input.phone === '' && (reference || payer)
    const phone = phoneless ? null : tryNormalisePhone(input.phone)
    const amount = tryParseMoney(input.amount)
    const badAddress = payer?.kind === 'address' && !payer.value
    if ((phone === null && !phoneless) || badReference || badAddress || amount === null || amount <= 0) {
      const errors = []
      if (phone === null && !phoneless) errors.push({field: 'phone', message: 'not an Egyptian mobile number (e.g. 01012345678)'})
      if (badAddress) errors.push({field: 'payer_address', message: 'not an InstaPay address (name@instapay)'})
      if (badReference) errors.push({field: 'reference', message: 'not a transaction reference (letters and digits)'})
      if (amount === null || amount <= 0) errors.push({field: 'amount', message: 'not a positive amount with at most 2 decimals'})
      return this.answer('invalid_input', 400, {status: false, code: 'invalid_input', message: message('invalid_input', lang), errors})
    }
    const nowMs = this.ctx.now().getTime()
    // Per IPv4 address or IPv6 /64 (callerKey): hopping addresses inside one prefix buys nothing.
    // A space parts store and caller: a store id has none, and PostgreSQL text cannot hold \0.
    const ipKey = `${store.id} ${callerKey(input.ip)}`
    // The in-memory counter answers at once (no await on the hot path); a shared database's
    // answer is awaited beside the candidates' read, before anything is decided or written —
    // read by the same query when the ledger can (a claim by phone on PostgreSQL).
    const counted = phone !== null && !reference && this.failedByIp.inLedger && this.ctx.storage.byClaimCounting ? {...this.failedByIp.inLedger, key: ipKey, now: nowMs} : null
    const failed = counted ? 0 : this.failedByIp.count(ipKey, nowMs)
    let gate: Promise<number> | null = null
    if (typeof failed === 'number') {
      if (failed >= this.failedLimit) return this.rateLimited(ipKey, nowMs, lang)
    } else {
      gate = failed
      // Awaited in tryClaim; this keeps a failure that comes first elsewhere from going unhandled.
      gate.catch(() => {})
    }

    for (let attempt = 0; ; attempt++) {
      try {
        return await this.tryClaim(store, {phone, reference, payer, amount, input, nowMs, ipKey, gate: attempt === 0 ? gate : null, counted: attempt === 0 ? counted : null})
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
      }
    }
  }

  private async rateLimited(ipKey: string, nowMs: number, lang: Lang): Promise<CheckResult> {
    const retryAfter = await this.failedByIp.retryAfter(ipKey, nowMs)
    return {...this.answer('rate_limited', 429, {status: false, code: 'rate_limited', message: message('rate_limited', lang), retry_after: retryAfter}), retryAfter}
  }

  private async tryClaim(store: StoreRecord, c: {phone: string | null; reference: string | null; payer: Payer | null; amount: Piastres; input: CheckInput; nowMs: number; ipKey: string; gate: Promise<number> | null; counted: CountedKey | null}): Promise<CheckResult> {
    const {phone, reference, payer, amount, input, nowMs} = c
    const {lang} = input
    const now = new Date(nowMs)
    let found: {candidates: TransactionRecord[]; pending: TransactionRecord[]}
    if (c.counted) {
      const r = await this.ctx.storage.byClaimCounting!(store.id, phone!, amount, c.counted)
      if (r.failed >= this.failedLimit) return this.rateLimited(c.ipKey, nowMs, lang)
      found = {candidates: r.candidates, pending: pendingOf(store, r.candidates, nowMs)}
    } else if (c.gate) {
      const lookup = claimCandidates(this.ctx.storage, store, {phone, reference, payer, amount}, nowMs)
      const [f, failed] = await Promise.all([lookup, c.gate])
      if (failed >= this.failedLimit) return this.rateLimited(c.ipKey, nowMs, lang)
      found = f
    } else {
      found = await claimCandidates(this.ctx.storage, store, {phone, reference, payer, amount}, nowMs)
    }
    const {candidates, pending} = found
    const claimKey = `${store.id} ${phone ?? (reference ? `ref:${reference}` : `payer:${payer!.kind}:${normaliseName(payer!.value)}`)}`
    // Counted only while the store's rule wants them: no shared-database write or read for a rule that is off.
    const countClaims = store.antiSpam.enabled && store.antiSpam.rules.failedChecksBefore !== null
    const tx = pending[0]
    if (tx) {
      const ambiguous = ambiguousPayer(payer, pending)
      const paidBefore = phone !== null && store.antiSpam.enabled && store.antiSpam.rules.firstPayment ? await this.ctx.storage.hasPaid(store.id, phone) : false
      // Gates set at ingest (age, receiving wallet, balance chain, no sender id) hold whoever claims.
      const gateHolds = tx.holds ?? []
      const recentFailed = countClaims ? await this.failedByPhone.count(claimKey, nowMs) : 0
      const held = [...gateHolds.map((h) => h.gate), ...ambiguous, ...trippedRules(store, {
        tx,
        phoneHasPaidBefore: () => paidBefore,
        recentFailedChecks: recentFailed,
        otherPendingSameClaim: pending.length - 1,
      })]
      const by = `check:${input.ip}`
      const whmcs = store.callback.kind === 'whmcs'
      const at = now.toISOString()
      // Contract §3: `true` is said once. For WHMCS it waits for the credit, so it is not said here.
      const patch = {userName: input.userName, clientId: input.clientId, orderId: input.orderId ?? null, heldBy: held, confirmedAt: held.length === 0 && !whmcs ? at : null}
      const next = held.length > 0
        ? transition(tx, {to: 'AWAITING_APPROVAL', by, why: holdReason(held, gateHolds.length, input), at: now, patch})
        : transition(tx, {to: 'COMPLETED', by, why: `claimed by ${input.userName ?? input.clientId ?? 'an anonymous check'}${input.orderId ? ` for order ${input.orderId}` : ''}`, at: now, patch})
      const event: NotificationEvent = held.length > 0 ? 'transaction.awaiting_approval' : 'transaction.completed'
      const n = this.ctx.buildNotification(store, next, event, now)
      // The notification is queued durably before the answer is sent (contract §3).
      await this.ctx.storage.commit({transactions: [next], notifications: n ? [n] : []})
      if (n) this.ctx.emit({type: 'notification_queued', outcome: event})
      if (recentFailed > 0) await this.forgetFailures(claimKey)
      if (held.length > 0) return this.awaiting(next, lang)
      return whmcs ? this.confirmCredit(next, lang) : this.completed(next, lang)
    }

    // A repeat of a check that already matched: recognised by the order (the one idempotency
    // key) or by the same named customer; a check naming nobody never matches an earlier one.
    const named = Boolean(input.userName || input.clientId)
    for (let i = candidates.length - 1; i >= 0; i--) {
      const t = candidates[i]!
      if (t.status !== 'COMPLETED' && t.status !== 'AWAITING_APPROVAL' && t.status !== 'REJECTED') continue
      const sameOrder = Boolean(input.orderId) && t.orderId === input.orderId
      const sameCustomer = named && t.userName === input.userName && (t.clientId ?? null) === (input.clientId ?? null) && Date.parse(t.updatedAt) >= nowMs - this.idempotencyMs
      if (!sameOrder && !sameCustomer) continue
      if (t.status === 'AWAITING_APPROVAL') return this.awaiting(t, lang)
      if (t.status === 'REJECTED') return this.answer('rejected', 200, {status: false, code: 'rejected', message: message('rejected', lang), transaction_id: t.id}, t)
      if (!t.confirmedAt) {
        // Completed but not yet confirmed to anyone (WHMCS had not confirmed the credit, or an operator completed it).
        if (store.callback.kind === 'whmcs') return this.confirmCredit(t, lang)
        return this.confirm(t, lang)
      }
      if (sameOrder && t.orderId) return this.completed(t, lang)
      return this.answer('already_confirmed', 200, {status: false, code: 'already_confirmed', message: message('already_confirmed', lang), transaction_id: t.id}, t)
    }
    if (input.orderId && candidates.some((t) => t.orderId && t.orderId !== input.orderId && t.status === 'COMPLETED')) {
      // Another order already took this transfer: that is not a failed guess, but it is not `true` either.
      return this.answer('not_found', 200, {status: false, code: 'not_found', message: message('not_found', lang)})
    }

    const added = this.failedByIp.add(c.ipKey, nowMs)
    const addedClaim = countClaims ? this.failedByPhone.add(claimKey, nowMs) : undefined
    if (added) await added
    if (addedClaim) await addedClaim
    return this.answer('not_found', 200, {status: false, code: 'not_found', message: message('not_found', lang)})
  }

  /**
   * A claim went through: its earlier failures no longer count against it. The claim is
   * committed already, so a counter that cannot be reached (the database gone this instant)
   * must not turn the answer into an error; the failures then age out with their window.
   */
  private async forgetFailures(claimKey: string): Promise<void> {
    try {
      await this.failedByPhone.clear(claimKey)
    } catch {
      // see above: the window forgets them within the hour
    }
  }

  /** Say `true` for a completed transfer, once: a conditional update decides which caller says it. */
  private async confirm(tx: TransactionRecord, lang: Lang): Promise<CheckResult> {
    const next = {...tx, confirmedAt: this.ctx.now().toISOString()}
    try {
      await this.ctx.storage.commit({transactions: [next]})
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      return this.answer('already_confirmed', 200, {status: false, code: 'already_confirmed', message: message('already_confirmed', lang), transaction_id: tx.id}, tx)
    }
    return this.completed(next, lang)
  }

  /** WHMCS: `true` only once WHMCS confirmed AddCredit, waiting a bounded time; else credit_pending. */
  private async confirmCredit(tx: TransactionRecord, lang: Lang): Promise<CheckResult> {
    const credited = await this.awaitCredit(tx, this.creditWaitMs)
    if (!credited) return this.answer('credit_pending', 200, {status: false, code: 'credit_pending', message: message('credit_pending', lang), transaction_id: tx.id}, tx)
    const cur = await this.ctx.storage.getTransaction(tx.id)
    if (!cur || cur.confirmedAt) return this.answer('already_confirmed', 200, {status: false, code: 'already_confirmed', message: message('already_confirmed', lang), transaction_id: tx.id}, tx)
    return this.confirm(cur, lang)
  }

  private completed(tx: TransactionRecord, lang: Lang): CheckResult {
    return this.answer('completed', 200, {
      status: true,
      code: 'completed',
      message: message('completed', lang),
      transaction_id: tx.id,
      amount: formatMoney(tx.amount),
      phone: tx.senderPhone,
      provider: tx.provider,
      reference: tx.reference,
    }, tx)
  }

  private awaiting(tx: TransactionRecord, lang: Lang): CheckResult {
    return this.answer('awaiting_approval', 200, {
      status: false,
      requires_verification: true,
      code: 'awaiting_approval',
      message: message('awaiting_approval', lang),
      transaction_id: tx.id,
    }, tx)
  }

  private answer(outcome: CheckOutcome, http: number, body: Record<string, unknown>, transaction?: TransactionRecord): CheckResult {
    this.ctx.emit({type: 'check', outcome})
    return {outcome, http, body, transaction}
  }
}

/** A phoneless claim's payer: the name the bank wrote, or an InstaPay address (exact). */
export type Payer = {kind: 'name' | 'address'; value: string}

/**
 * What a phoneless claim names: an InstaPay address wins over a name (it is exact). An address
 * that is not one comes back with an empty value, for the caller to refuse.
 */
export function payerOf(input: {payerName?: string | null; payerAddress?: string | null}): Payer | null {
  const address = input.payerAddress?.trim()
  if (address) {
    const a = normaliseText(address).toLowerCase().replace(/\s+/g, '')
    // People type the address with or without the @instapay suffix.
    const full = a.includes('@') ? a : `${a}@instapay`
    return {kind: 'address', value: /^[a-z0-9._-]{2,60}@instapay$/.test(full) ? full : ''}
  }
  const name = input.payerName?.trim()
  return name ? {kind: 'name', value: name} : null
}

/**
 * A name is not an identity: when two waiting credits fit the name (two Mohamed Ahmeds, or one
 * payer who paid twice), neither is completed by a guess; the oldest is held for the operator.
 */
export function ambiguousPayer(payer: Payer | null | undefined, pending: TransactionRecord[]): string[] {
  return payer?.kind === 'name' && pending.length > 1 ? [`ambiguous_payer: ${pending.length} waiting credits match this name (${pending.map((t) => t.id).join(', ')})`] : []
}

/** This transfer is the named payer's: the address as the bank wrote it, or the name by matchPayerName. */
export function paidBy(t: TransactionRecord, payer: Payer): boolean {
  if (payer.kind === 'address') return (t.payerAddress ?? '').toLowerCase() === payer.value
  return t.senderName !== null && matchPayerName(payer.value, t.senderName).verdict === 'match'
}
