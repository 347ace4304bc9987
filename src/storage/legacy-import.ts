/**
 * The first start of this version on a data dir of the previous engine (db.json, journals,
 * archives) imports it into the SQLite ledger once, then keeps the old files under
 * `legacy-<time>/` rather than deleting them. Read-only: the old files are never rewritten.
 */
import fs from 'node:fs'
import path from 'node:path'

import {EXIT, VcashError} from '../core/errors.js'
import type {CreditRecord, NotificationRecord, SmsRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import type {LegacyBatch} from './storage.js'
import type {SqliteStorage} from './sqlite-storage.js'

export interface ImportReport {
  from: string
  keptIn: string
  stores: number
  sms: number
  transactions: number
  notifications: number
  credits: number
}

const SNAPSHOT = 'db.json'
const JOURNAL_RE = /^journal-\d{12}\.ndjson$/
const ARCHIVES = ['archive-transactions.ndjson', 'archive-sms.ndjson']

export function hasLegacyData(dataDir: string): boolean {
  try {
    return fs.readdirSync(dataDir).some((f) => f === SNAPSHOT || JOURNAL_RE.test(f) || ARCHIVES.includes(f))
  } catch {
    return false
  }
}

function corrupt(file: string, why: string): VcashError {
  return new VcashError('data_corrupt', `cannot import ${file}: ${why}`, {
    exit: EXIT.config,
    suggestion: 'Restore the old data dir from a backup and start again; nothing was imported and no file was changed.',
  })
}

/** Complete lines only: whatever follows the last newline is a torn append that was never acknowledged. */
function ndjson<T>(file: string): T[] {
  if (!fs.existsSync(file)) return []
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  lines.pop()
  return lines.filter((l) => l.trim() !== '').map((l, i) => {
    try {
      return JSON.parse(l) as T
    } catch {
      throw corrupt(file, `line ${i + 1} is not JSON`)
    }
  })
}

interface Snapshot {
  seq?: number
  stores?: StoreRecord[]
  sms?: SmsRecord[]
  transactions?: TransactionRecord[]
  notifications?: NotificationRecord[]
  credits?: CreditRecord[]
}

/** Every record of the old engine, latest version of each: archives, then the snapshot, then the journals replayed. */
export function readLegacy(dataDir: string): LegacyBatch {
  const maps = {stores: new Map<string, StoreRecord>(), sms: new Map<string, SmsRecord>(), transactions: new Map<string, TransactionRecord>(), notifications: new Map<string, NotificationRecord>(), credits: new Map<string, CreditRecord>()}
  for (const t of ndjson<TransactionRecord>(path.join(dataDir, ARCHIVES[0]!))) maps.transactions.set(t.id, t)
  for (const m of ndjson<SmsRecord>(path.join(dataDir, ARCHIVES[1]!))) maps.sms.set(m.id, m)
  const snapFile = path.join(dataDir, SNAPSHOT)
  let seq = 0
  if (fs.existsSync(snapFile)) {
    let snap: unknown
    try {
      snap = JSON.parse(fs.readFileSync(snapFile, 'utf8'))
    } catch (error) {
      throw corrupt(snapFile, (error as Error).message)
    }
    if (snap === null || typeof snap !== 'object' || Array.isArray(snap)) throw corrupt(snapFile, 'it does not hold a vcash snapshot')
    const s = snap as Snapshot
    for (const k of ['stores', 'sms', 'transactions', 'notifications', 'credits'] as const) {
      if (s[k] !== undefined && !Array.isArray(s[k])) throw corrupt(snapFile, `"${k}" is not a list`)
    }
    seq = typeof s.seq === 'number' ? s.seq : 0
    apply(maps, s)
  }
  const journals = fs.readdirSync(dataDir).filter((f) => JOURNAL_RE.test(f)).sort()
  for (const f of journals) {
    for (const e of ndjson<{seq: number; b: Snapshot}>(path.join(dataDir, f))) {
      if (typeof e.seq !== 'number' || e.seq <= seq) continue
      apply(maps, e.b)
      seq = e.seq
    }
  }
  return {
    stores: [...maps.stores.values()],
    sms: [...maps.sms.values()],
    transactions: [...maps.transactions.values()],
    notifications: [...maps.notifications.values()],
    credits: [...maps.credits.values()],
  }
}

function apply(maps: {[K in keyof LegacyBatch]: Map<string, LegacyBatch[K][number]>}, b: Snapshot): void {
  for (const s of b.stores ?? []) maps.stores.set(s.id, s)
  for (const m of b.sms ?? []) maps.sms.set(m.id, m)
  for (const t of b.transactions ?? []) maps.transactions.set(t.id, t)
  for (const n of b.notifications ?? []) maps.notifications.set(n.id, n)
  for (const c of b.credits ?? []) maps.credits.set(c.id, c)
}

/** Import an old data dir into an empty ledger, then move the old files aside. */
export function importLegacy(dataDir: string, storage: SqliteStorage, now: Date, opts: {alreadyImported?: boolean} = {}): ImportReport {
  const all = readLegacy(dataDir)
  // Instants are stored as UTC: normalise what the old engine kept as written.
  for (const t of all.transactions) t.receivedAt = new Date(t.receivedAt).toISOString()
  for (const m of all.sms) m.receivedAt = new Date(m.receivedAt).toISOString()
  if (!opts.alreadyImported) storage.importAll(all)
  const keptIn = path.join(dataDir, `legacy-${now.toISOString().replace(/[:.]/g, '-')}`)
  fs.mkdirSync(keptIn, {mode: 0o700})
  for (const f of fs.readdirSync(dataDir)) {
    if (f === SNAPSHOT || JOURNAL_RE.test(f) || ARCHIVES.includes(f) || f === `${SNAPSHOT}.tmp`) fs.renameSync(path.join(dataDir, f), path.join(keptIn, f))
  }
  return {from: dataDir, keptIn, stores: all.stores.length, sms: all.sms.length, transactions: all.transactions.length, notifications: all.notifications.length, credits: all.credits.length}
}
