/**
 * The composition root: how a process (the server, a CLI command) gets a vcash to work with.
 * Everything is built here, explicitly; no module does work when it is imported.
 *
 * SQLite lets several processes open the ledger at once (WAL, busy timeout), so a CLI command
 * opens it itself even while `vcash serve` runs, and the server picks up what the command
 * changed (an approval's outbox row) at its next outbox poll. Only servers take the data
 * dir's lock: two servers would both sweep and deliver.
 *
 * With a database URL the ledger is PostgreSQL, shared by any number of instances: no data dir
 * lock (conditional updates and outbox leases keep them apart); the data dir still holds this
 * instance's admin.json.
 */

import {EXIT, VcashError} from '../core/errors.js'
import type {TransactionRecord} from '../core/model.js'
import {buildDeviceNotification, buildIntentNotification, buildNotification} from '../notify/events.js'
import {type ServiceEvent, VcashService} from './service.js'
import {acquireLock, type FileLock} from '../io/lock.js'
import {hasLegacyData, importLegacy, type ImportReport, readLegacy} from '../storage/legacy-import.js'
import {SqliteStorage} from '../storage/sqlite-storage.js'
import {PostgresStorage} from '../storage/postgres-storage.js'
import type {Storage} from '../storage/storage.js'


export interface LocalVcash {
  service: VcashService
  storage: Storage
  /** Set when this open imported a data dir of the previous engine. */
  imported: ImportReport | null
  close(): Promise<void>
}

export interface OpenLocalOptions {
  dataDir: string
  /** `postgres://…`: the ledger on PostgreSQL instead of the data dir's embedded store. */
  databaseUrl?: string
  /** `server` takes the data dir's lock; commands share the ledger with a running server. */
  holder: string
  onEvent?: (e: ServiceEvent) => void
  now?: () => Date
  /** Failed payment_link_check calls allowed per store and caller address per 10 minutes. */
  failedCheckLimit?: number
  /** WHMCS stores: wait for the dispatcher to confirm a credit (the server wires this). */
  awaitCredit?: (tx: TransactionRecord, timeoutMs: number) => Promise<boolean>
  /** How long a WHMCS store's check waits for the credit (default 15 s). */
  creditWaitMs?: number
  /** Told about a one-time import of an old data dir (the report is also on `imported`). */
  onImport?: (r: ImportReport) => void
}

export async function openLocal(opts: OpenLocalOptions): Promise<LocalVcash> {
  const lock: FileLock | null = opts.holder === 'server' && !opts.databaseUrl ? acquireLock(opts.dataDir, 'server') : null
  const sqlite = opts.databaseUrl ? null : new SqliteStorage({dataDir: opts.dataDir})
  const storage: Storage = sqlite ?? new PostgresStorage({url: opts.databaseUrl!})
  try {
    await storage.open()
    const imported = sqlite ? await importOnce(opts.dataDir, sqlite, opts.now?.() ?? new Date()) : null
    if (imported) opts.onImport?.(imported)
    // Instances sharing a database count failed checks there; the embedded store in this process.
    const failedChecks = storage.failedChecks ? (scope: string, windowMs: number) => storage.failedChecks!(scope, windowMs) : undefined
    const service = new VcashService({storage, buildNotification, buildIntentNotification, buildDeviceNotification, now: opts.now, onEvent: opts.onEvent, failedCheckLimit: opts.failedCheckLimit, awaitCredit: opts.awaitCredit, creditWaitMs: opts.creditWaitMs, failedChecks})
    return {
      service,
      storage,
      imported,
      async close() {
        try {
          await storage.close()
        } finally {
          lock?.release()
        }
      },
    }
  } catch (error) {
    await storage.close().catch(() => {})
    lock?.release()
    throw error
  }
}

async function importOnce(dataDir: string, storage: SqliteStorage, now: Date): Promise<ImportReport | null> {
  if (!hasLegacyData(dataDir)) return null
  const stores = await storage.listStores()
  if (stores.length === 0) return importLegacy(dataDir, storage, now)
  // Imported already (a crash before the old files were moved aside)? Then only move them.
  const ids = new Set(stores.map((s) => s.id))
  if (readLegacy(dataDir).stores.every((s) => ids.has(s.id))) return importLegacy(dataDir, storage, now, {alreadyImported: true})
  throw new VcashError('data_corrupt', `${dataDir} holds both a vcash ledger and old-format files (db.json) with other stores`, {
    exit: EXIT.config,
    suggestion: 'Move db.json, journal-*.ndjson and archive-*.ndjson to an empty data dir and start vcash there to import them.',
  })
}

/** The ledger alone (no service), migrated or not: `vcash db status|migrate`. */
export function ledgerFor(opts: {dataDir: string; databaseUrl?: string; migrate?: boolean}): SqliteStorage | PostgresStorage {
  return opts.databaseUrl ? new PostgresStorage({url: opts.databaseUrl, migrate: opts.migrate}) : new SqliteStorage({dataDir: opts.dataDir, migrate: opts.migrate})
}
