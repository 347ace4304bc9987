/**
 * Storage behind an interface, so a server database can be added without touching the
 * domain. Reads are synchronous against in-memory indexes (one process owns a data dir);
 * `commit` applies a batch atomically and resolves only once it is durable on disk.
 *
 * Every record carries `version`. `commit` checks the version each changed record was read
 * at (compare-and-set) before applying anything: the same contract a SQL backend would
 * implement with `UPDATE … WHERE version = ?` inside a transaction.
 */
import type {CreditRecord, NotificationRecord, SmsRecord, StoreRecord, TransactionRecord, TransactionStatus} from '../model.js'
import type {Piastres} from '../money.js'

export interface Batch {
  stores?: StoreRecord[]
  sms?: SmsRecord[]
  transactions?: TransactionRecord[]
  notifications?: NotificationRecord[]
  credits?: CreditRecord[]
}

export interface TransactionQuery {
  storeId?: string
  status?: TransactionStatus
  phone?: string
  /** ISO times, inclusive lower / exclusive upper bound on createdAt. */
  since?: string
  until?: string
  limit?: number
  /** Opaque cursor returned by a previous page. */
  cursor?: string
}

export interface NotificationQuery {
  storeId?: string
  state?: NotificationRecord['state']
  transactionId?: string
  since?: string
  limit?: number
}

export interface Storage {
  /** Load from disk (replaying any journal). Call once before use. */
  open(): Promise<void>
  /** Apply a batch atomically; resolves once durable. Throws ConflictError on a stale version. */
  commit(batch: Batch): Promise<void>
  /** Resolves when everything committed so far is durable. */
  flush(): Promise<void>
  close(): Promise<void>

  listStores(): StoreRecord[]
  getStore(id: string): StoreRecord | undefined
  findStoreByDeviceTokenHash(hash: string): StoreRecord | undefined

  findSmsByFingerprint(storeId: string, fingerprint: string): SmsRecord | undefined
  countSms(): number

  getTransaction(id: string): TransactionRecord | undefined
  /**
   * Every transaction of a store with this sender phone and amount (any status), oldest
   * received first: the candidates for a customer's claim and for an idempotent repeat.
   */
  byClaim(storeId: string, phone: string, amount: Piastres): TransactionRecord[]
  /** Transactions of a store carrying this wallet reference (phone-less transfers are claimed by it). */
  byReference(storeId: string, reference: string): TransactionRecord[]
  /** PENDING/AWAITING transactions received before `before` (for expiry sweeps), oldest first. */
  openReceivedBefore(before: string, limit: number): TransactionRecord[]
  /** Has this phone ever completed a payment to this store? (anti-spam's first-payment rule) */
  hasPaid(storeId: string, phone: string): boolean
  listTransactions(q: TransactionQuery): {items: TransactionRecord[]; nextCursor: string | null}
  countTransactions(): number

  getNotification(id: string): NotificationRecord | undefined
  /** Pending notifications whose nextAttemptAt <= now, oldest due first. */
  dueNotifications(now: string, limit: number): NotificationRecord[]
  listNotifications(q: NotificationQuery): NotificationRecord[]

  getCredit(id: string): CreditRecord | undefined
}

export class ConflictError extends Error {
  constructor(readonly kind: string, readonly id: string) {
    super(`${kind} ${id} was changed concurrently`)
    this.name = 'ConflictError'
  }
}
