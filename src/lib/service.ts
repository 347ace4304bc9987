import {trippedRules} from './antispam.js'
import {EXIT, VcashError} from './errors.js'
import {type Lang, message} from './messages.js'
import type {NotificationEvent, NotificationRecord, SmsRecord, StoreRecord, TransactionRecord} from './model.js'
import {formatMoney, type Piastres, tryParseMoney} from './money.js'
import {tryNormalisePhone} from './phone.js'
import {normaliseText} from './text.js'
import {WindowCounter} from './rate-limit.js'
import {hashToken, newId, newSigningSecret, newToken} from './secrets.js'
import {parseSms, smsFingerprint} from './sms/parse.js'
import type {ParseResult} from './sms/types.js'
import {type StoreSettings, type StoreSettingsInput, parseStoreSettings, settingsOf} from './store-config.js'
import {ConflictError, type Storage} from './storage/storage.js'
import {transition} from './transactions.js'

export type BuildNotification = (store: StoreRecord, tx: TransactionRecord, event: NotificationEvent, now: Date) => NotificationRecord | null

export interface ServiceEvent {
  type: 'sms' | 'check' | 'notification_queued'
  outcome: string
  provider?: string | null
  template?: string | null
}

export interface VcashServiceOptions {
  storage: Storage
  /** Puts the merchant's notification in the outbox, in the same commit as the change. */
  buildNotification?: BuildNotification
  now?: () => Date
  onEvent?: (e: ServiceEvent) => void
  /** Failed checks allowed per store and client address per window. */
  failedCheckLimit?: number
  failedCheckWindowMs?: number
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

export interface IngestInput {
  sender: string
  body: string
  /** When the phone received it; defaults to now. */
  receivedAt?: string | null
  source: string
}

export interface IngestResult {
  outcome: 'created' | 'duplicate' | 'ignored'
  sms: SmsRecord
  transaction: TransactionRecord | null
  parse: ParseResult
}

export interface CheckInput {
  storeId: string
  /** The customer's wallet phone; may be empty when a reference is given. */
  phone: string
  /** The wallet's transaction reference, for transfers whose SMS has no payer phone. */
  reference?: string | null
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

export interface CreatedStore {
  store: StoreRecord
  apiToken: string
  deviceToken: string
}

const MAX_RETRIES = 5

/** The record fields a store's validated settings decide (money thresholds as piastres). */
function storeFields(s: StoreSettings): Pick<StoreRecord, 'name' | 'callback' | 'rate' | 'currencyLabel' | 'antiSpam' | 'requireToken' | 'allowIps' | 'matchWindowMinutes' | 'mode' | 'forwarderSigningKey'> {
  return {
    name: s.name,
    callback: s.callback,
    rate: s.rate,
    currencyLabel: s.currencyLabel,
    antiSpam: {enabled: s.antiSpam.enabled, rules: {
      amountOver: s.antiSpam.amountOver === null ? null : tryParseMoney(s.antiSpam.amountOver),
      firstPayment: s.antiSpam.firstPayment,
      failedChecksBefore: s.antiSpam.failedChecksBefore,
      duplicatePending: s.antiSpam.duplicatePending,
    }},
    requireToken: s.requireToken,
    allowIps: s.allowIps,
    matchWindowMinutes: s.matchWindowMinutes,
    mode: s.mode,
    forwarderSigningKey: s.forwarderSigningKey,
  }
}

/**
 * The verification service: SMS in, claims checked, decisions recorded. All I/O goes
 * through Storage; every state change and the notification it causes are one commit.
 */
export class VcashService {
  readonly storage: Storage
  private readonly now: () => Date
  private readonly buildNotification: BuildNotification
  private readonly onEvent: (e: ServiceEvent) => void
  private readonly failedByIp: WindowCounter
  private readonly failedByPhone = new WindowCounter(60 * 60 * 1000)
  private readonly failedLimit: number
  private readonly idempotencyMs: number
  private readonly awaitCredit: (tx: TransactionRecord, timeoutMs: number) => Promise<boolean>
  private readonly creditWaitMs: number

  constructor(opts: VcashServiceOptions) {
    this.storage = opts.storage
    this.now = opts.now ?? (() => new Date())
    this.buildNotification = opts.buildNotification ?? (() => null)
    this.onEvent = opts.onEvent ?? (() => {})
    this.failedLimit = opts.failedCheckLimit ?? 60
    this.failedByIp = new WindowCounter(opts.failedCheckWindowMs ?? 10 * 60 * 1000)
    this.idempotencyMs = opts.idempotencyWindowMs ?? 30 * 60 * 1000
    this.awaitCredit = opts.awaitCredit ?? (async () => false)
    this.creditWaitMs = opts.creditWaitMs ?? 15_000
  }

  /** The service's idea of now (moved forward only by `vcash serve --dev` for simulations). */
  clock(): Date {
    return this.now()
  }

  // --- stores ---

  async createStore(input: StoreSettingsInput): Promise<CreatedStore> {
    const s = parseStoreSettings(input)
    const at = this.now().toISOString()
    const apiToken = newToken('vk')
    const deviceToken = newToken('vd')
    const store: StoreRecord = {
      id: newId('st', 9),
      createdAt: at,
      updatedAt: at,
      apiTokenHash: hashToken(apiToken),
      deviceTokenHash: hashToken(deviceToken),
      signingSecret: newSigningSecret(),
      ...storeFields(s),
      version: 0,
    }
    await this.storage.commit({stores: [store]})
    return {store, apiToken, deviceToken}
  }

  /** Merge a partial settings patch, re-validate the whole, commit. */
  async updateStore(id: string, patch: Partial<StoreSettingsInput>): Promise<StoreRecord> {
    const cur = await this.requireStore(id)
    const base = settingsOf(cur)
    // Callers that never saw the WHMCS secret (the admin API hides it) send it empty: keep it.
    if (patch.callback?.kind === 'whmcs' && cur.callback.kind === 'whmcs') {
      patch = {...patch, callback: {...patch.callback, secret: patch.callback.secret || cur.callback.secret, identifier: patch.callback.identifier || cur.callback.identifier}}
    }
    const merged = {...base, ...patch, antiSpam: {...base.antiSpam, ...(patch.antiSpam ?? {})}}
    const s = parseStoreSettings(merged)
    const next: StoreRecord = {
      ...cur,
      ...storeFields(s),
      updatedAt: this.now().toISOString(),
    }
    await this.storage.commit({stores: [next]})
    this.recentStores.delete(id)
    return next
  }

  /** Issue new API and device tokens (the old ones stop working). */
  async rotateTokens(id: string): Promise<CreatedStore> {
    const cur = await this.requireStore(id)
    const apiToken = newToken('vk')
    const deviceToken = newToken('vd')
    const store = {...cur, apiTokenHash: hashToken(apiToken), deviceTokenHash: hashToken(deviceToken), updatedAt: this.now().toISOString()}
    await this.storage.commit({stores: [store]})
    return {store, apiToken, deviceToken}
  }

  private readonly recentStores = new Map<string, StoreRecord>()
  private storesSeenAt: number | null = null

  /**
   * A store as the hot paths (checks, the public rate) read it, kept in memory until anything
   * else changes the ledger: a change made here drops it at once, a commit by another process
   * (a CLI command) drops them all. Every write reads the ledger itself (requireStore).
   */
  async findStore(id: string): Promise<StoreRecord | undefined> {
    const version = this.storage.changesElsewhere?.() ?? null
    if (version === null || version !== this.storesSeenAt) {
      this.recentStores.clear()
      this.storesSeenAt = version
    }
    const hit = this.recentStores.get(id)
    if (hit) return hit
    const store = await this.storage.getStore(id)
    if (store && version !== null && this.recentStores.size < 10_000) this.recentStores.set(id, store)
    return store
  }

  async requireStore(id: string): Promise<StoreRecord> {
    const s = await this.storage.getStore(id)
    if (!s) throw new VcashError('store_not_found', `no store with id ${id}`, {http: 404, exit: EXIT.usage, suggestion: 'List stores with `vcash store list`.'})
    return s
  }

  /** The store a command means: the given id, or the only one there is. */
  async resolveStore(id?: string): Promise<StoreRecord> {
    if (id) return this.requireStore(id)
    const all = await this.storage.listStores()
    if (all.length === 1) return all[0]!
    if (all.length === 0) throw new VcashError('no_store', 'there is no store in this data dir yet', {exit: EXIT.usage, suggestion: 'Create one with `vcash store init`, or start `vcash serve` once to create a development store.'})
    throw new VcashError('store_required', `this data dir has ${all.length} stores; say which one`, {exit: EXIT.usage, suggestion: `Pass --store (one of: ${all.map((s) => s.id).join(', ')}).`})
  }

  // --- SMS ---

  async ingestSms(store: StoreRecord, input: IngestInput): Promise<IngestResult> {
    const now = this.now()
    const parse = parseSms({sender: input.sender, body: input.body})
    const fingerprint = smsFingerprint(store.id, parse, input.sender, input.body)
    const dup = await this.storage.findSmsByFingerprint(store.id, fingerprint)
    if (dup) return this.duplicate(dup, parse)
    // Stored as a UTC instant: "…+02:00" and "…Z" of the same moment are the same moment.
    const receivedAt = input.receivedAt ? new Date(input.receivedAt).toISOString() : now.toISOString()
    const sms: SmsRecord = {
      id: newId('sms'),
      storeId: store.id,
      sender: input.sender,
      body: input.body,
      receivedAt,
      storedAt: now.toISOString(),
      fingerprint,
      outcome: parse.kind,
      reason: parse.kind === 'ignored' ? parse.reason : null,
      source: input.source,
      transactionId: null,
      version: 0,
    }
    let tx: TransactionRecord | null = null
    const notifications: NotificationRecord[] = []
    if (parse.kind === 'receive') {
      const at = now.toISOString()
      tx = {
        id: newId('tx'),
        storeId: store.id,
        status: 'PENDING',
        provider: parse.provider,
        amount: parse.amount,
        senderPhone: parse.senderPhone,
        senderName: parse.senderName,
        reference: parse.reference,
        balance: parse.balance,
        occurredAt: parse.occurredAt,
        receivedAt,
        createdAt: at,
        updatedAt: at,
        smsId: sms.id,
        userName: null,
        clientId: null,
        heldBy: [],
        audit: [{at, by: `sms:${input.source}`, from: null, to: 'PENDING', why: `${parse.template} receipt from ${input.sender}`}],
        version: 0,
      }
      sms.transactionId = tx.id
      const n = this.buildNotification(store, tx, 'transaction.received', now)
      if (n) notifications.push(n)
    }
    try {
      await this.storage.commit({sms: [sms], transactions: tx ? [tx] : [], notifications})
    } catch (error) {
      // The same SMS, sent twice at once (a forwarder's retry racing the first): the unique
      // key kept one; answer as for any duplicate.
      if (!(error instanceof ConflictError)) throw error
      const stored = await this.storage.findSmsByFingerprint(store.id, fingerprint)
      if (!stored) throw error
      return this.duplicate(stored, parse)
    }
    this.onEvent({type: 'sms', outcome: parse.kind === 'receive' ? 'receive' : parse.reason, provider: parse.provider, template: parse.kind === 'receive' ? parse.template : null})
    if (notifications.length > 0) this.onEvent({type: 'notification_queued', outcome: 'transaction.received'})
    return {outcome: tx ? 'created' : 'ignored', sms, transaction: tx, parse}
  }

  private async duplicate(dup: SmsRecord, parse: ParseResult): Promise<IngestResult> {
    this.onEvent({type: 'sms', outcome: 'duplicate', provider: parse.provider})
    return {outcome: 'duplicate', sms: dup, transaction: dup.transactionId ? (await this.storage.getTransaction(dup.transactionId)) ?? null : null, parse}
  }

  // --- checks ---

  async check(input: CheckInput): Promise<CheckResult> {
    const store = (await this.findStore(input.storeId)) ?? (await this.requireStore(input.storeId))
    const {lang} = input
    const reference = input.reference ? normaliseText(input.reference).replace(/\s+/g, '') : null
    const badReference = reference !== null && !/^[A-Za-z0-9]{4,40}$/.test(reference)
    // A reference alone is enough (Orange Cash and bank InstaPay SMS carry no payer phone).
    const phone = input.phone === '' && reference ? null : tryNormalisePhone(input.phone)
    const amount = tryParseMoney(input.amount)
    if ((phone === null && !reference) || badReference || amount === null || amount <= 0) {
      const errors = []
      if (phone === null && !reference) errors.push({field: 'phone', message: 'not an Egyptian mobile number (e.g. 01012345678)'})
      if (badReference) errors.push({field: 'reference', message: 'not a transaction reference (letters and digits)'})
      if (amount === null || amount <= 0) errors.push({field: 'amount', message: 'not a positive amount with at most 2 decimals'})
      return this.answer('invalid_input', 400, {status: false, code: 'invalid_input', message: message('invalid_input', lang), errors})
    }
    const nowMs = this.now().getTime()
    const ipKey = `${store.id}\0${input.ip}`
    if (this.failedByIp.count(ipKey, nowMs) >= this.failedLimit) {
      const retryAfter = this.failedByIp.retryAfter(ipKey, nowMs)
      return {...this.answer('rate_limited', 429, {status: false, code: 'rate_limited', message: message('rate_limited', lang), retry_after: retryAfter}), retryAfter}
    }

    for (let attempt = 0; ; attempt++) {
      try {
        return await this.tryClaim(store, {phone, reference, amount, input, nowMs, ipKey})
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
      }
    }
  }

  private async tryClaim(store: StoreRecord, c: {phone: string | null; reference: string | null; amount: Piastres; input: CheckInput; nowMs: number; ipKey: string}): Promise<CheckResult> {
    const {phone, reference, amount, input, nowMs} = c
    const {lang} = input
    const now = new Date(nowMs)
    const windowStart = nowMs - store.matchWindowMinutes * 60_000
    const candidates = reference
      ? (await this.storage.byReference(store.id, reference)).filter((t) => t.amount === amount && (phone === null || t.senderPhone === phone))
      : await this.storage.byClaim(store.id, phone!, amount)
    const claimKey = `${store.id}\0${phone ?? `ref:${reference}`}`
    const pending = candidates.filter((t) => t.status === 'PENDING' && Date.parse(t.receivedAt) >= windowStart)
    const tx = pending[0]
    if (tx) {
      const paidBefore = phone !== null && store.antiSpam.enabled && store.antiSpam.rules.firstPayment ? await this.storage.hasPaid(store.id, phone) : false
      const held = trippedRules(store, {
        tx,
        phoneHasPaidBefore: () => paidBefore,
        recentFailedChecks: this.failedByPhone.count(claimKey, nowMs),
        otherPendingSameClaim: pending.length - 1,
      })
      const by = `check:${input.ip}`
      const whmcs = store.callback.kind === 'whmcs'
      const at = now.toISOString()
      // Contract §3: `true` is said once. For WHMCS it waits for the credit, so it is not said here.
      const patch = {userName: input.userName, clientId: input.clientId, orderId: input.orderId ?? null, heldBy: held, confirmedAt: held.length === 0 && !whmcs ? at : null}
      const next = held.length > 0
        ? transition(tx, {to: 'AWAITING_APPROVAL', by, why: `held by anti-spam: ${held.join(', ')}`, at: now, patch})
        : transition(tx, {to: 'COMPLETED', by, why: `claimed by ${input.userName ?? input.clientId ?? 'an anonymous check'}${input.orderId ? ` for order ${input.orderId}` : ''}`, at: now, patch})
      const event: NotificationEvent = held.length > 0 ? 'transaction.awaiting_approval' : 'transaction.completed'
      const n = this.buildNotification(store, next, event, now)
      // The notification is queued durably before the answer is sent (contract §3).
      await this.storage.commit({transactions: [next], notifications: n ? [n] : []})
      if (n) this.onEvent({type: 'notification_queued', outcome: event})
      this.failedByPhone.clear(claimKey)
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

    this.failedByIp.add(c.ipKey, nowMs)
    this.failedByPhone.add(claimKey, nowMs)
    return this.answer('not_found', 200, {status: false, code: 'not_found', message: message('not_found', lang)})
  }

  /** Say `true` for a completed transfer, once: a conditional update decides which caller says it. */
  private async confirm(tx: TransactionRecord, lang: Lang): Promise<CheckResult> {
    const next = {...tx, confirmedAt: this.now().toISOString()}
    try {
      await this.storage.commit({transactions: [next]})
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
    const cur = await this.storage.getTransaction(tx.id)
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
    this.onEvent({type: 'check', outcome})
    return {outcome, http, body, transaction}
  }

  // --- decisions ---

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
      const store = await this.requireStore(tx.storeId)
      const now = this.now()
      const next = transition(tx, {to, by, why, at: now, patch: o.patch})
      const event: NotificationEvent = to === 'COMPLETED' ? 'transaction.completed' : 'transaction.rejected'
      const n = this.buildNotification(store, next, event, now)
      try {
        await this.storage.commit({transactions: [next], notifications: n ? [n] : []})
        if (n) this.onEvent({type: 'notification_queued', outcome: event})
        return next
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_RETRIES) throw error
      }
    }
  }

  async requireTransaction(id: string, storeId?: string): Promise<TransactionRecord> {
    const tx = await this.storage.getTransaction(id)
    // Another store's transaction is "not found", not "forbidden": ids must not leak.
    if (!tx || (storeId && tx.storeId !== storeId)) {
      throw new VcashError('transaction_not_found', `no transaction with id ${id}`, {http: 404, suggestion: 'List transactions with `vcash tx list`.'})
    }
    return tx
  }

  /** PENDING transfers past their store's match window become EXPIRED. */
  async expireDue(limit = 1000): Promise<number> {
    const now = this.now()
    const stores = new Map((await this.storage.listStores()).map((st) => [st.id, st]))
    if (stores.size === 0) return 0
    const minWindow = Math.min(...[...stores.values()].map((st) => st.matchWindowMinutes))
    const candidates = await this.storage.pendingReceivedBefore(new Date(now.getTime() - minWindow * 60_000), limit)
    let expired = 0
    for (const tx of candidates) {
      const store = stores.get(tx.storeId)
      if (!store || Date.parse(tx.receivedAt) >= now.getTime() - store.matchWindowMinutes * 60_000) continue
      const next = transition(tx, {to: 'EXPIRED', by: 'system', why: `not claimed within ${store.matchWindowMinutes} minutes`, at: now})
      const n = this.buildNotification(store, next, 'transaction.expired', now)
      try {
        await this.storage.commit({transactions: [next], notifications: n ? [n] : []})
        expired++
      } catch (error) {
        // Claimed (or expired by another sweep) since it was read: not ours to expire.
        if (!(error instanceof ConflictError)) throw error
      }
    }
    return expired
  }
}
