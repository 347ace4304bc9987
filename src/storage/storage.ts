/**
 * The ledger behind an interface: the embedded SQLite database today, PostgreSQL next, one
 * contract (test/storage/contract.ts) for both. Reads are async and see only committed state;
 * `commit` applies a batch atomically and resolves only once it is durable.
 *
 * Every record carries `version`, the version it was read at. `commit` writes it as
 * `UPDATE … WHERE id = ? AND version = ?` (a transaction also `AND status = ?`, so a claim is a
 * conditional update) and inserts new records (version 0) under the schema's unique keys.
 */
import type {BalancePoint, CreditRecord, DeviceContact, DeviceRecord, IntentRecord, IntentStatus, NotificationRecord, SessionRecord, SmsRecord, StoreRecord, TransactionRecord, TransactionStatus} from '../core/model.js'
import type {Piastres} from '../core/money.js'
import type {FailedChecks} from '../core/rate-limit.js'

export interface Batch {
  stores?: StoreRecord[]
  sms?: SmsRecord[]
  transactions?: TransactionRecord[]
  notifications?: NotificationRecord[]
  credits?: CreditRecord[]
  /** An intent's change is a conditional update on its version and the status it was made from. */
  intents?: IntentRecord[]
  /** State changes of devices (the silence sweep), version-checked like every record. */
  devices?: DeviceRecord[]
  /**
   * A device was heard from: inserted when new, else its last contact moves forward (never
   * back) without a read or a version check, so it rides in the SMS's own commit and two SMS
   * from one phone never conflict over it.
   */
  deviceContacts?: DeviceContact[]
  balancePoints?: BalancePoint[]
}

/** Everything the previous engine's data dirs held (they had no intents). */
export type LegacyBatch = Required<Pick<Batch, 'stores' | 'sms' | 'transactions' | 'notifications' | 'credits'>>

export interface IntentQuery {
  storeId?: string
  status?: IntentStatus
  limit?: number
}

export interface TransactionQuery {
  storeId?: string
  status?: TransactionStatus
  phone?: string
  /** Inclusive lower / exclusive upper bound on createdAt. */
  since?: Date
  until?: Date
  limit?: number
  /** Opaque cursor returned by a previous page. */
  cursor?: string
}

export interface NotificationQuery {
  storeId?: string
  state?: NotificationRecord['state']
  transactionId?: string
  since?: Date
  limit?: number
}

export interface Storage {
  /** Open (create or migrate) the database. Call once before use. */
  open(): Promise<void>
  /**
   * Apply a batch atomically; resolves once durable. Throws ConflictError when a record was
   * changed since it was read (its `version`), or when a unique key says it already exists.
   */
  commit(batch: Batch): Promise<void>
  /** Resolves when everything queued so far is committed and durable. */
  flush(): Promise<void>
  /**
   * Resolves once everything already committed is on disk. An engine whose COMMIT returns only
   * when durable omits it; the embedded one syncs after COMMIT (off the event loop), so a
   * reader that tells the outside world (the dispatcher) waits for this first.
   */
  durable?(): Promise<void>
  close(): Promise<void>
  /** Why writes are failing right now (a full disk), for /healthz; null when healthy. */
  writeFault(): string | null
  /**
   * A number that changes whenever another process (a CLI command beside the server) committed
   * something: what this process read before may be stale. Engines that cannot tell omit it,
   * and their readers do not cache.
   */
  changesElsewhere?(): number

  listStores(): Promise<StoreRecord[]>
  getStore(id: string): Promise<StoreRecord | undefined>
  findStoreByDeviceTokenHash(hash: string): Promise<StoreRecord | undefined>
  findStoreByApiTokenHash(hash: string): Promise<StoreRecord | undefined>

  findSmsByFingerprint(storeId: string, fingerprint: string): Promise<SmsRecord | undefined>
  getSms(id: string): Promise<SmsRecord | undefined>
  countSms(): Promise<number>

  getTransaction(id: string): Promise<TransactionRecord | undefined>
  /**
   * Transactions of a store with this sender phone and amount (any status), oldest received
   * first: the candidates for a customer's claim and for a repeat.
   */
  byClaim(storeId: string, phone: string, amount: Piastres): Promise<TransactionRecord[]>
  /**
   * byClaim, and in the same round trip the failed checks a counter kept in this database holds
   * for `counted.key` (FailedChecks.inLedger): a check on PostgreSQL needs both before it decides.
   */
  byClaimCounting?(storeId: string, phone: string, amount: Piastres, counted: CountedKey): Promise<{candidates: TransactionRecord[]; failed: number}>
  /**
   * Transactions of a store with this amount and no payer phone (bank InstaPay credits), oldest
   * received first: the candidates of a claim by payer name or InstaPay address.
   */
  phonelessByAmount(storeId: string, amount: Piastres): Promise<TransactionRecord[]>
  /** Transactions of a store carrying this wallet reference (phone-less transfers are claimed by it). */
  byReference(storeId: string, reference: string): Promise<TransactionRecord[]>
  /** PENDING transactions received before `before`, oldest first (expiry sweeps). */
  pendingReceivedBefore(before: Date, limit: number): Promise<TransactionRecord[]>
  /** Has this phone ever completed a payment to this store? (anti-spam's first-payment rule) */
  hasPaid(storeId: string, phone: string): Promise<boolean>
  listTransactions(q: TransactionQuery): Promise<{items: TransactionRecord[]; nextCursor: string | null}>
  countTransactions(): Promise<number>

  getNotification(id: string): Promise<NotificationRecord | undefined>
  /** Pending notifications due at `now`, oldest due first. */
  dueNotifications(now: Date, limit: number): Promise<NotificationRecord[]>
  listNotifications(q: NotificationQuery): Promise<NotificationRecord[]>
  /**
   * Several instances on one database: take due notifications for `holder` until `now + leaseMs`,
   * skipping those another instance holds, so no two send one at once; a dead holder's leases
   * expire. Saving a notification ends its lease. Engines served by one process omit it.
   */
  leaseDueNotifications?(now: Date, limit: number, holder: string, leaseMs: number): Promise<NotificationRecord[]>

  getCredit(id: string): Promise<CreditRecord | undefined>

  getIntent(id: string): Promise<IntentRecord | undefined>
  findIntentByOrderId(storeId: string, orderId: string): Promise<IntentRecord | undefined>
  /** The intent a transfer paid or is held for. */
  findIntentByTransaction(transactionId: string): Promise<IntentRecord | undefined>
  /** A store's pending intents of this amount, oldest first: those a new receipt may pay. */
  pendingIntentsByAmount(storeId: string, amount: Piastres): Promise<IntentRecord[]>
  /** Pending intents whose expiry is before `before`, soonest first (expiry sweeps). */
  pendingIntentsExpiringBefore(before: Date, limit: number): Promise<IntentRecord[]>
  /** Newest first. */
  listIntents(q: IntentQuery): Promise<IntentRecord[]>

  /** A store's devices (all stores' when omitted), most recently heard from first. */
  listDevices(storeId?: string): Promise<DeviceRecord[]>
  getDevice(id: string): Promise<DeviceRecord | undefined>
  /**
   * What the silence sweep looks at: online devices that have sent a heartbeat and were last heard
   * from before `silentBefore`, and offline devices heard from since they went offline.
   */
  devicesToSweep(silentBefore: Date, limit: number): Promise<DeviceRecord[]>
  /** The newest balance of a chain known at or before `at` (ties: the highest id; ids sort by time). */
  lastBalancePoint(storeId: string, chain: string, at: Date): Promise<BalancePoint | undefined>
  /** Transactions created in [since, until), counted and summed per store and status (dashboard totals). */
  transactionTotals(since: Date, until: Date): Promise<TransactionTotal[]>

  // Dashboard sign-in (src/app/sessions.ts); storage/dashboard-queries.ts has the queries for any Kysely engine.
  insertSession(s: SessionRecord): Promise<void>
  findSessionByTokenHash(hash: string): Promise<SessionRecord | undefined>
  /** Revoke one that is still live at `now`; true only for the caller that changed it (a link is single-use). */
  revokeSession(id: string, now: Date): Promise<boolean>
  touchSession(id: string, at: Date): Promise<void>
  /** Sign out everywhere: every link and session stops working. Returns how many were live. */
  revokeAllSessions(): Promise<number>

  /**
   * Several instances on one database: be told, as each commits, what any instance or command
   * changed (PostgreSQL LISTEN/NOTIFY), to wake the outbox and feed the live views. Resolves to
   * a stop function, or null when this engine cannot tell (no NOTIFY). Engines served by one
   * process omit it.
   */
  watchChanges?(onChange: (c: LedgerChange) => void, onError?: (e: unknown) => void): Promise<(() => Promise<void>) | null>
  /**
   * Several instances on one database: failed-check counters they all share. Engines served by
   * one process omit it (the counters live in memory).
   */
  failedChecks?(scope: string, windowMs: number): FailedChecks
}

/**
 * What a commit changed, as another instance hears it. `notification`: queued (new); `retry`:
 * due again now; `delivery`: an attempt saved; `transaction`, `sms`, `intent`, `store`; `resync`: the listener
 * reconnected and may have missed some (look at everything once).
 */
/** A failed-check counter's key as the database keeps it (see FailedChecks.inLedger). */
export interface CountedKey {
  scope: string
  key: string
  windowMs: number
  now: number
}

export interface LedgerChange {
  kind: string
  id: string
}

export interface TransactionTotal {
  storeId: string
  status: TransactionStatus
  count: number
  amount: Piastres
}

export class ConflictError extends Error {
  constructor(readonly kind: string, readonly id: string) {
    super(`${kind} ${id} was changed concurrently`)
    this.name = 'ConflictError'
  }
}
