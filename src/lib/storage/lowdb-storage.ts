import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'

import {Low} from 'lowdb'
import {JSONFile} from 'lowdb/node'

import {BugError, EXIT, VcashError} from '../errors.js'
import type {CreditRecord, NotificationRecord, SmsRecord, StoreRecord, TransactionRecord} from '../model.js'
import type {Piastres} from '../money.js'
import {Archive} from './archive.js'
import {Journal} from './journal.js'
import {type Batch, ConflictError, type NotificationQuery, type Storage, type TransactionQuery} from './storage.js'

interface Snapshot {
  format: 1
  /** Journal sequence number included in this snapshot. */
  seq: number
  stores: StoreRecord[]
  sms: SmsRecord[]
  transactions: TransactionRecord[]
  notifications: NotificationRecord[]
  credits: CreditRecord[]
}

const emptySnapshot = (): Snapshot => ({format: 1, seq: 0, stores: [], sms: [], transactions: [], notifications: [], credits: []})

export interface LowdbStorageOptions {
  dataDir: string
  /** Checkpoint (rewrite db.json, empty the journal) once the journal holds this many bytes. */
  checkpointBytes?: number
  /** Terminal transactions (and their SMS) older than this move to the archive at a checkpoint. */
  archiveAfterMs?: number
  now?: () => Date
}

const TERMINAL = new Set(['COMPLETED', 'REJECTED', 'EXPIRED'])

/**
 * The embedded default store. lowdb keeps the snapshot (`db.json`); every change is first
 * appended to a write-ahead journal and fsync'd (group commit), so a commit costs one
 * append, not a rewrite of the whole file. On open the journal is replayed over the
 * snapshot; a checkpoint folds it back into db.json (written, fsync'd, renamed).
 * All reads come from in-memory indexes.
 */
export class LowdbStorage implements Storage {
  private readonly db: Low<Snapshot>
  private journal: Journal
  private readonly dataDir: string
  private readonly dbFile: string
  private seq = 0
  private checkpointing: Promise<void> | null = null
  private checkpointChain: Promise<void> = Promise.resolve()
  private readonly checkpointBytes: number

  private stores = new Map<string, StoreRecord>()
  private storesByDevice = new Map<string, StoreRecord>()
  private sms = new Map<string, SmsRecord>()
  private smsByFp = new Map<string, SmsRecord>()
  private txs = new Map<string, TransactionRecord>()
  private txByClaim = new Map<string, TransactionRecord[]>()
  private txByRef = new Map<string, TransactionRecord[]>()
  /** Per store, in commit order (createdAt ascending). */
  private txByStore = new Map<string, TransactionRecord[]>()
  /** PENDING and AWAITING_APPROVAL ids (for expiry), insertion ordered. */
  private openTx = new Set<string>()
  private notifications = new Map<string, NotificationRecord>()
  private pendingNotifications = new Set<string>()
  private credits = new Map<string, CreditRecord>()

  // History that can no longer change lives on disk; memory keeps one number per record.
  private readonly txArchive: Archive<TransactionRecord>
  private readonly smsArchive: Archive<SmsRecord>
  private archivedTx = new Map<string, number>()
  /** Per store, archive locations in file order (roughly oldest first). */
  private archivedTxByStore = new Map<string, number[]>()
  private archivedSmsCount = 0
  /** Fingerprint (first 96 bits: collisions are out of reach at any realistic volume) → location. */
  private archivedFp = new Map<string, number>()
  /** `${storeId}\0${phone}` of every payer who completed a payment (first-payment rule). */
  private payers = new Set<string>()
  private readonly archiveAfterMs: number
  private readonly now: () => Date

  constructor(opts: LowdbStorageOptions) {
    this.dbFile = path.join(opts.dataDir, 'db.json')
    this.db = new Low<Snapshot>(new JSONFile<Snapshot>(this.dbFile), emptySnapshot())
    this.dataDir = opts.dataDir
    this.journal = new Journal(this.journalFile(1))
    this.checkpointBytes = opts.checkpointBytes ?? 256 * 1024 * 1024
    this.archiveAfterMs = opts.archiveAfterMs ?? 24 * 3_600_000
    this.now = opts.now ?? (() => new Date())
    this.txArchive = new Archive(path.join(opts.dataDir, 'archive-transactions.ndjson'))
    this.smsArchive = new Archive(path.join(opts.dataDir, 'archive-sms.ndjson'))
  }

  async open(): Promise<void> {
    await fsp.mkdir(path.dirname(this.dbFile), {recursive: true, mode: 0o700})
    try {
      await this.db.read()
    } catch (error) {
      throw new VcashError('data_corrupt', `cannot read ${this.dbFile}: ${(error as Error).message}`, {
        exit: EXIT.config,
        suggestion: 'Restore db.json from a backup; vcash never leaves it half-written, so something else changed it.',
      })
    }
    this.txArchive.load((t, loc) => {
      // Appended twice (a crash mid-checkpoint)? The first copy is the same record: keep one.
      if (this.archivedTx.has(t.id)) return
      this.archivedTx.set(t.id, loc)
      const list = this.archivedTxByStore.get(t.storeId) ?? []
      list.push(loc)
      this.archivedTxByStore.set(t.storeId, list)
      if (t.status === 'COMPLETED' && t.senderPhone) this.payers.add(`${t.storeId}\0${t.senderPhone}`)
    })
    const archivedSmsIds = new Set<string>()
    this.smsArchive.load((m, loc) => {
      archivedSmsIds.add(m.id)
      this.archivedFp.set(fpKey(m.storeId, m.fingerprint), loc)
    })
    this.archivedSmsCount = archivedSmsIds.size
    const snap = this.db.data
    this.seq = snap.seq
    for (const s of snap.stores) this.indexStore(s)
    for (const m of snap.sms) this.indexSms(m)
    for (const t of snap.transactions) this.indexTx(t, undefined)
    for (const n of snap.notifications) this.indexNotification(n)
    for (const c of snap.credits) this.credits.set(c.id, c)

    const journals = this.journalFiles()
    for (const file of journals) {
      const lines = Journal.readLines(file)
      for (const [i, line] of lines.entries()) {
        let entry: {seq: number; b: Batch}
        try {
          entry = JSON.parse(line) as {seq: number; b: Batch}
        } catch {
          throw new VcashError('data_corrupt', `journal line ${i + 1} of ${file} is unreadable`, {exit: EXIT.config, suggestion: 'Restore the data dir from a backup.'})
        }
        if (entry.seq <= this.seq) continue
        this.applyBatch(entry.b)
        this.seq = entry.seq
      }
    }
    // A crash between archiving and rewriting db.json leaves records in both: the archive's
    // copy is the same record (terminal records never change), so drop the hot one.
    for (const t of [...this.txs.values()]) if (this.archivedTx.has(t.id)) this.unindexTx(t)
    this.rebuildStoreLists()
    for (const m of [...this.sms.values()]) {
      if (archivedSmsIds.has(m.id)) {
        this.sms.delete(m.id)
        this.smsByFp.delete(`${m.storeId}\0${m.fingerprint}`)
      }
    }
    archivedSmsIds.clear()
    this.journal = new Journal(this.journalFile(this.seq + 1))
    // Fold replayed journals into the snapshot so the next start is quick.
    if (journals.length > 0) await this.checkpoint()
  }

  private journalFile(firstSeq: number): string {
    return path.join(this.dataDir, `journal-${String(firstSeq).padStart(12, '0')}.ndjson`)
  }

  private journalFiles(): string[] {
    return fs.readdirSync(this.dataDir)
      .filter((f) => /^journal-\d{12}\.ndjson$/.test(f))
      .sort()
      .map((f) => path.join(this.dataDir, f))
  }

  commit(batch: Batch): Promise<void> {
    // Check every version first, so a conflict leaves nothing half-applied. Applying stays
    // synchronous (no await before it): that is what makes a claim exactly-once.
    try {
      this.checkVersions(batch)
    } catch (error) {
      return Promise.reject(error)
    }
    for (const list of [batch.stores, batch.sms, batch.transactions, batch.notifications, batch.credits]) {
      for (const rec of list ?? []) rec.version += 1
    }
    this.applyBatch(batch)
    this.seq++
    const done = this.journal.append(`${JSON.stringify({seq: this.seq, b: batch})}\n`)
    if (this.journal.bytes > this.checkpointBytes && !this.checkpointing) {
      this.checkpointing = done.then(() => this.checkpoint()).finally(() => {
        this.checkpointing = null
      })
    }
    return done
  }

  async flush(): Promise<void> {
    await this.journal.flush()
  }

  async close(): Promise<void> {
    await this.journal.flush()
    if (this.checkpointing) await this.checkpointing
    if (this.journal.entries > 0) await this.checkpoint()
    await this.journal.close()
    this.txArchive.close()
    this.smsArchive.close()
  }

  /**
   * Rewrite db.json with everything, then drop the journals it covers. The journal is
   * rotated in the same tick as the snapshot is taken, so commits made while db.json is
   * being written land in the new journal and are never lost.
   */
  checkpoint(): Promise<void> {
    // One at a time: two overlapping checkpoints would archive the same records twice.
    const run = this.checkpointChain.then(() => this.runCheckpoint())
    this.checkpointChain = run.catch(() => {})
    return run
  }

  private async runCheckpoint(): Promise<void> {
    await this.archiveCold()
    const old = this.journal
    this.journal = new Journal(this.journalFile(this.seq + 1))
    this.db.data = {
      format: 1,
      seq: this.seq,
      stores: [...this.stores.values()],
      sms: [...this.sms.values()],
      transactions: [...this.txs.values()],
      notifications: [...this.notifications.values()],
      credits: [...this.credits.values()],
    }
    // lowdb (steno) writes a temp file and renames it, but never fsyncs: add it, or a
    // power cut could leave an empty db.json after we dropped the journals.
    await this.db.write()
    const fh = await fsp.open(this.dbFile, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
    syncDir(this.dataDir)
    await old.close()
    const covered = this.journalFiles().filter((f) => f !== this.journal.file)
    for (const f of covered) fs.rmSync(f, {force: true})
  }

  /**
   * Move terminal transactions older than archiveAfterMs, and their SMS (plus old ignored
   * SMS), out of memory into the append-only archives. They are written and fsync'd before
   * they leave the snapshot; terminal records never change, so nothing can race the move.
   */
  private async archiveCold(): Promise<void> {
    const cutoff = new Date(this.now().getTime() - this.archiveAfterMs).toISOString()
    const txs = [...this.txs.values()].filter((t) => TERMINAL.has(t.status) && t.updatedAt < cutoff).sort((a, b) => cmpCreated(a, b))
    const smsIds = new Set(txs.map((t) => t.smsId))
    const sms = [...this.sms.values()].filter((m) => smsIds.has(m.id) || (m.transactionId === null && m.storedAt < cutoff))
    if (txs.length === 0 && sms.length === 0) return
    const smsLocs = await this.smsArchive.append(sms)
    const txLocs = await this.txArchive.append(txs)
    this.archivedSmsCount += sms.length
    for (const [i, m] of sms.entries()) {
      this.archivedFp.set(fpKey(m.storeId, m.fingerprint), smsLocs[i]!)
      this.sms.delete(m.id)
      this.smsByFp.delete(`${m.storeId}\0${m.fingerprint}`)
    }
    for (const [i, t] of txs.entries()) {
      this.archivedTx.set(t.id, txLocs[i]!)
      const list = this.archivedTxByStore.get(t.storeId) ?? []
      list.push(txLocs[i]!)
      this.archivedTxByStore.set(t.storeId, list)
      this.unindexTx(t)
    }
    this.rebuildStoreLists()
  }

  // --- reads ---

  listStores(): StoreRecord[] {
    return [...this.stores.values()]
  }

  getStore(id: string): StoreRecord | undefined {
    return this.stores.get(id)
  }

  findStoreByDeviceTokenHash(hash: string): StoreRecord | undefined {
    return this.storesByDevice.get(hash)
  }

  findSmsByFingerprint(storeId: string, fingerprint: string): SmsRecord | undefined {
    const key = `${storeId}\0${fingerprint}`
    const hot = this.smsByFp.get(key)
    if (hot) return hot
    const loc = this.archivedFp.get(fpKey(storeId, fingerprint))
    if (loc === undefined) return undefined
    const m = this.smsArchive.read(loc)
    return m.fingerprint === fingerprint ? m : undefined
  }

  countSms(): number {
    return this.sms.size + this.archivedSmsCount
  }

  getTransaction(id: string): TransactionRecord | undefined {
    const hot = this.txs.get(id)
    if (hot) return hot
    const loc = this.archivedTx.get(id)
    return loc === undefined ? undefined : this.txArchive.read(loc)
  }

  hasPaid(storeId: string, phone: string): boolean {
    return this.payers.has(`${storeId}\0${phone}`)
  }

  byClaim(storeId: string, phone: string, amount: Piastres): TransactionRecord[] {
    return this.txByClaim.get(claimKey(storeId, phone, amount)) ?? []
  }

  byReference(storeId: string, reference: string): TransactionRecord[] {
    return this.txByRef.get(`${storeId}\0${reference}`) ?? []
  }

  openReceivedBefore(before: string, limit: number): TransactionRecord[] {
    const out: TransactionRecord[] = []
    for (const id of this.openTx) {
      const tx = this.txs.get(id)
      if (tx && tx.receivedAt < before) {
        out.push(tx)
        if (out.length >= limit) break
      }
    }
    return out.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
  }

  listTransactions(q: TransactionQuery): {items: TransactionRecord[]; nextCursor: string | null} {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500)
    const [cAt, cId] = q.cursor ? q.cursor.split('|') : [undefined, undefined]
    const before = (t: TransactionRecord) => cAt === undefined || t.createdAt < cAt || (t.createdAt === cAt && t.id < cId!)
    const matches = (t: TransactionRecord) =>
      before(t) && (!q.until || t.createdAt < q.until) && (!q.status || t.status === q.status) && (!q.phone || t.senderPhone === q.phone)
    // Newest first from memory, then from the archive; one extra tells whether there is more.
    const want = limit + 1
    const hotLists = q.storeId ? [this.txByStore.get(q.storeId) ?? []] : [...this.txByStore.values()]
    const hot = hotLists.length === 1 ? hotLists[0]! : hotLists.flat().sort(cmpCreated)
    const found: TransactionRecord[] = []
    for (let i = hot.length - 1; i >= 0 && found.length < want; i--) {
      const t = hot[i]!
      if (q.since && t.createdAt < q.since) break
      if (matches(t)) found.push(t)
    }
    const locLists = q.storeId ? [this.archivedTxByStore.get(q.storeId) ?? []] : [...this.archivedTxByStore.values()]
    const locs = locLists.length === 1 ? locLists[0]! : locLists.flat().sort((a, b) => a - b)
    const archived: TransactionRecord[] = []
    for (let i = locs.length - 1; i >= 0 && archived.length < want; i--) {
      const t = this.txArchive.read(locs[i]!)
      if (this.txs.has(t.id)) continue
      if (q.since && t.createdAt < q.since) break
      if (matches(t)) archived.push(t)
    }
    const merged = [...found, ...archived].sort((a, b) => cmpCreated(b, a))
    const items = merged.slice(0, limit)
    const last = items[items.length - 1]
    return {items, nextCursor: merged.length > limit && last ? `${last.createdAt}|${last.id}` : null}
  }

  countTransactions(): number {
    return this.txs.size + this.archivedTx.size
  }

  getNotification(id: string): NotificationRecord | undefined {
    return this.notifications.get(id)
  }

  dueNotifications(now: string, limit: number): NotificationRecord[] {
    const out: NotificationRecord[] = []
    for (const id of this.pendingNotifications) {
      const n = this.notifications.get(id)
      if (n && n.nextAttemptAt !== null && n.nextAttemptAt <= now) out.push(n)
    }
    return out.sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? '')).slice(0, limit)
  }

  listNotifications(q: NotificationQuery): NotificationRecord[] {
    const out: NotificationRecord[] = []
    for (const n of this.notifications.values()) {
      if (q.storeId && n.storeId !== q.storeId) continue
      if (q.state && n.state !== q.state) continue
      if (q.transactionId && n.transactionId !== q.transactionId) continue
      if (q.since && n.createdAt < q.since) continue
      out.push(n)
    }
    out.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    return q.limit ? out.slice(0, q.limit) : out
  }

  getCredit(id: string): CreditRecord | undefined {
    return this.credits.get(id)
  }

  // --- writes ---

  private checkVersions(batch: Batch): void {
    const check = <T extends {id: string; version: number}>(kind: string, recs: T[] | undefined, map: Map<string, T>) => {
      const seen = new Set<string>()
      for (const r of recs ?? []) {
        if (seen.has(r.id)) throw new BugError(`${kind} ${r.id} appears twice in one batch`)
        seen.add(r.id)
        const cur = map.get(r.id)
        if ((cur?.version ?? 0) !== r.version) throw new ConflictError(kind, r.id)
        if (cur === r) throw new BugError(`${kind} ${r.id} was mutated in place; commit a copy`)
      }
    }
    check('store', batch.stores, this.stores)
    check('sms', batch.sms, this.sms)
    check('transaction', batch.transactions, this.txs)
    check('notification', batch.notifications, this.notifications)
    check('credit', batch.credits, this.credits)
  }

  private applyBatch(b: Batch): void {
    for (const s of b.stores ?? []) this.indexStore(s)
    for (const m of b.sms ?? []) this.indexSms(m)
    for (const t of b.transactions ?? []) this.indexTx(t, this.txs.get(t.id))
    for (const n of b.notifications ?? []) this.indexNotification(n)
    for (const c of b.credits ?? []) this.credits.set(c.id, c)
  }

  private indexStore(s: StoreRecord): void {
    const prev = this.stores.get(s.id)
    if (prev) this.storesByDevice.delete(prev.deviceTokenHash)
    this.stores.set(s.id, s)
    this.storesByDevice.set(s.deviceTokenHash, s)
  }

  private indexSms(m: SmsRecord): void {
    this.sms.set(m.id, m)
    this.smsByFp.set(`${m.storeId}\0${m.fingerprint}`, m)
  }

  private indexTx(t: TransactionRecord, prev: TransactionRecord | undefined): void {
    this.txs.set(t.id, t)
    if (t.senderPhone) {
      const key = claimKey(t.storeId, t.senderPhone, t.amount)
      const list = this.txByClaim.get(key) ?? []
      if (prev) replaceIn(list, prev, t)
      else insertSorted(list, t, (a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.createdAt.localeCompare(b.createdAt))
      this.txByClaim.set(key, list)
    }
    if (t.reference) {
      const key = `${t.storeId}\0${t.reference}`
      const list = this.txByRef.get(key) ?? []
      if (prev) replaceIn(list, prev, t)
      else list.push(t)
      this.txByRef.set(key, list)
    }
    const byStore = this.txByStore.get(t.storeId) ?? []
    if (prev) replaceIn(byStore, prev, t)
    else insertSorted(byStore, t, cmpCreated)
    this.txByStore.set(t.storeId, byStore)
    if (t.status === 'PENDING' || t.status === 'AWAITING_APPROVAL') this.openTx.add(t.id)
    else this.openTx.delete(t.id)
    if (t.status === 'COMPLETED' && t.senderPhone) this.payers.add(`${t.storeId}\0${t.senderPhone}`)
  }

  /** Remove from the indexes; the per-store lists are rebuilt once per batch by the caller. */
  private unindexTx(t: TransactionRecord): void {
    this.txs.delete(t.id)
    this.openTx.delete(t.id)
    const drop = (map: Map<string, TransactionRecord[]>, key: string) => {
      const list = map.get(key)
      if (!list) return
      const i = list.findIndex((x) => x.id === t.id)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) map.delete(key)
    }
    if (t.senderPhone) drop(this.txByClaim, claimKey(t.storeId, t.senderPhone, t.amount))
    if (t.reference) drop(this.txByRef, `${t.storeId}\0${t.reference}`)
  }

  private rebuildStoreLists(): void {
    for (const [storeId, list] of this.txByStore) this.txByStore.set(storeId, list.filter((t) => this.txs.has(t.id)))
  }

  private indexNotification(n: NotificationRecord): void {
    this.notifications.set(n.id, n)
    if (n.state === 'pending') this.pendingNotifications.add(n.id)
    else this.pendingNotifications.delete(n.id)
  }
}

function fpKey(storeId: string, fingerprint: string): string {
  return `${storeId}\0${fingerprint.slice(0, 24)}`
}

function claimKey(storeId: string, phone: string, amount: Piastres): string {
  return `${storeId}\0${phone}\0${amount}`
}

function cmpCreated(a: TransactionRecord, b: TransactionRecord): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)
}

/** Appends are the common case (records arrive in time order), so search from the end. */
function insertSorted<T>(list: T[], item: T, cmp: (a: T, b: T) => number): void {
  let i = list.length
  while (i > 0 && cmp(list[i - 1]!, item) > 0) i--
  list.splice(i, 0, item)
}

function replaceIn<T>(list: T[], prev: T, next: T): void {
  // Recent records change most: search from the end.
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i] === prev) {
      list[i] = next
      return
    }
  }
  list.push(next)
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  }
}
