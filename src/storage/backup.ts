/**
 * Backup and restore of a data dir, taken consistently while a server writes to it.
 *
 * A backup is one SQLite file (mode 0600: it holds the stores' secrets):
 * - the ledger, copied with SQLite's online backup API in a single step, so it is the ledger as
 *   one read transaction saw it: every commit before the backup started is in it, and no
 *   half-made one. The server keeps writing meanwhile (WAL: a reader does not block writers);
 * - `vcash_backup_meta`: the format, when, from where, and the row count of every ledger table;
 * - `vcash_backup_files`: the data dir's small files (`sms/`: the phone agent's spools and adb
 *   cursors). Not `admin.json` or the lock (they belong to a running process), nor CLI profiles
 *   (per user, in the config dir).
 * `sqlite3 backup.vcash 'select * from vcash_backup_meta'` reads it without vcash.
 *
 * This module is SQLite-specific on purpose; it lives beside the engine, not among the use
 * cases (which see only the Storage interface).
 */
import fs from 'node:fs'
import path from 'node:path'

import BetterSqlite3 from 'better-sqlite3'

import {EXIT, VcashError} from '../core/errors.js'
import {fsyncDir} from '../io/durable.js'
import {acquireLock, lockOwner} from '../io/lock.js'
import {APPLICATION_ID, DB_FILE, SqliteStorage} from './sqlite-storage.js'

export const BACKUP_FORMAT = 'vcash-backup/1'
const LEDGER_TABLES = ['stores', 'sms', 'transactions', 'notifications', 'credits'] as const
/** Folders of the data dir whose files a backup carries. */
const SMALL_FILE_DIRS = ['sms']

export type LedgerCounts = Record<(typeof LEDGER_TABLES)[number], number>

export interface BackupReport {
  file: string
  format: string
  created_at: string
  data_dir: string
  bytes: number
  counts: LedgerCounts
  files: string[]
  duration_ms: number
}

export interface RestoreReport {
  file: string
  data_dir: string
  backup_created_at: string
  counts: LedgerCounts
  files: string[]
  /** Where what the data dir held before went (with --force), or null. */
  moved_aside: string | null
  duration_ms: number
}

function counts(db: BetterSqlite3.Database): LedgerCounts {
  const out = {} as LedgerCounts
  for (const t of LEDGER_TABLES) out[t] = (db.prepare(`select count(*) n from ${t}`).get() as {n: number}).n
  return out
}

function integrityOk(db: BetterSqlite3.Database): string | null {
  const rows = db.pragma('integrity_check') as {integrity_check: string}[]
  return rows.length === 1 && rows[0]!.integrity_check === 'ok' ? null : rows.map((r) => r.integrity_check).slice(0, 3).join('; ')
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

function smallFiles(dataDir: string): {rel: string; abs: string}[] {
  const out: {rel: string; abs: string}[] = []
  const walk = (rel: string) => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(path.join(dataDir, rel), {withFileTypes: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const e of entries) {
      const r = path.join(rel, e.name)
      if (e.isDirectory()) walk(r)
      // A write in progress (durable.ts's temp files) is not part of the state.
      else if (e.isFile() && !e.name.endsWith('.tmp')) out.push({rel: r, abs: path.join(dataDir, r)})
    }
  }
  for (const d of SMALL_FILE_DIRS) walk(d)
  return out.sort((a, b) => a.rel.localeCompare(b.rel))
}

export async function backupDataDir(dataDir: string, outFile: string, opts: {force?: boolean; now?: () => Date} = {}): Promise<BackupReport> {
  const started = Date.now()
  const ledger = path.join(dataDir, DB_FILE)
  if (!fs.existsSync(ledger)) {
    throw new VcashError('no_ledger', `${dataDir} has no vcash ledger (${DB_FILE})`, {exit: EXIT.usage, suggestion: 'Pass the data dir your server uses: --data-dir /var/lib/vcash (or VCASH_DATA_DIR).'})
  }
  const out = path.resolve(outFile)
  if (fs.existsSync(out) && !opts.force) {
    throw new VcashError('file_exists', `${out} already exists`, {exit: EXIT.cantCreate, suggestion: 'Pass --force to replace it, or choose another --out.'})
  }
  fs.mkdirSync(path.dirname(out), {recursive: true})
  const tmp = `${out}.${process.pid}.tmp`
  fs.rmSync(tmp, {force: true})
  // The copy holds every store's secrets: 0600 from its first byte.
  fs.closeSync(fs.openSync(tmp, 'w', 0o600))
  const src = new BetterSqlite3(ledger, {fileMustExist: true, timeout: 10_000})
  try {
    if (src.pragma('application_id', {simple: true}) !== APPLICATION_ID) {
      throw new VcashError('data_corrupt', `${ledger} is not a vcash ledger`, {exit: EXIT.config})
    }
    // After the first (empty) step, copy every remaining page in one step: one read
    // transaction, so the copy is one consistent moment of the ledger.
    await src.backup(tmp, {progress: () => 0x7fffffff})
  } catch (error) {
    fs.rmSync(tmp, {force: true})
    throw error
  } finally {
    src.close()
  }
  const createdAt = (opts.now?.() ?? new Date()).toISOString()
  const files = smallFiles(dataDir)
  const db = new BetterSqlite3(tmp)
  const found = writeThenRename(db, tmp, out, () => {
    const bad = integrityOk(db)
    if (bad) throw new VcashError('backup_failed', `the copy of the ledger failed its integrity check: ${bad}`, {exit: EXIT.bug})
    // One self-contained file (no -wal beside it) whatever mode the ledger was in.
    db.pragma('journal_mode = DELETE')
    const found = counts(db)
    db.exec('create table vcash_backup_meta (key text primary key, value text not null)')
    db.exec('create table vcash_backup_files (path text primary key, mode integer not null, content blob not null)')
    const meta = db.prepare('insert into vcash_backup_meta (key, value) values (?, ?)')
    const file = db.prepare('insert into vcash_backup_files (path, mode, content) values (?, ?, ?)')
    db.transaction(() => {
      meta.run('format', BACKUP_FORMAT)
      meta.run('created_at', createdAt)
      meta.run('data_dir', path.resolve(dataDir))
      meta.run('counts', JSON.stringify(found))
      for (const f of files) {
        try {
          file.run(f.rel, fs.statSync(f.abs).mode & 0o777, fs.readFileSync(f.abs))
        } catch (error) {
          // A spool compacted away between listing and reading: it is gone, not lost.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        }
      }
    })()
    return found
  })
  return {file: out, format: BACKUP_FORMAT, created_at: createdAt, data_dir: path.resolve(dataDir), bytes: fs.statSync(out).size, counts: found, files: files.map((f) => f.rel), duration_ms: Date.now() - started}
}

/**
 * Runs `write` on the SQLite file at `tmp` and then puts it at `out`, durably (the file, then
 * the rename in its folder); when `write` fails, `tmp` is removed and nothing is replaced.
 */
function writeThenRename<T>(db: BetterSqlite3.Database, tmp: string, out: string, write: () => T): T {
  let result: T
  try {
    result = write()
  } catch (error) {
    db.close()
    fs.rmSync(tmp, {force: true})
    throw error
  }
  db.close()
  fsyncFile(tmp)
  fs.renameSync(tmp, out)
  fsyncDir(path.dirname(out))
  return result
}

interface OpenedBackup {
  createdAt: string
  counts: LedgerCounts
}

function readBackup(file: string): OpenedBackup {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(file, {readonly: true, fileMustExist: true})
  } catch (error) {
    throw new VcashError('not_a_backup', `cannot open ${file}: ${(error as Error).message}`, {exit: EXIT.input, suggestion: 'Pass a file made by `vcash backup --out FILE`.'})
  }
  try {
    let meta: Record<string, string>
    try {
      meta = Object.fromEntries((db.prepare('select key, value from vcash_backup_meta').all() as {key: string; value: string}[]).map((r) => [r.key, r.value]))
    } catch {
      throw new VcashError('not_a_backup', `${file} is not a vcash backup`, {exit: EXIT.input, suggestion: 'Pass a file made by `vcash backup --out FILE`.'})
    }
    if (meta.format !== BACKUP_FORMAT) {
      throw new VcashError('not_a_backup', `${file} is a backup in format ${meta.format ?? 'unknown'}; this vcash reads ${BACKUP_FORMAT}`, {exit: EXIT.input, suggestion: 'Restore it with the vcash version that made it.'})
    }
    const bad = integrityOk(db)
    if (bad) throw new VcashError('backup_corrupt', `${file} is damaged: ${bad}`, {exit: EXIT.input, suggestion: 'Restore an older backup.'})
    return {createdAt: meta.created_at ?? '', counts: JSON.parse(meta.counts ?? '{}') as LedgerCounts}
  } finally {
    db.close()
  }
}

/**
 * Restore a backup into a data dir. Refuses while a server owns the data dir, and a data dir
 * that holds anything unless `force` (then the old contents are moved aside, not deleted).
 * Holds the data dir's lock throughout, so no server starts on a half-restored ledger.
 */
export async function restoreDataDir(file: string, dataDir: string, opts: {force?: boolean; now?: () => Date} = {}): Promise<RestoreReport> {
  const started = Date.now()
  const backup = readBackup(path.resolve(file))
  const owner = lockOwner(dataDir)
  if (owner) {
    throw new VcashError('data_dir_locked', `data dir ${dataDir} is in use by ${owner.holder === 'server' ? 'a vcash server' : 'another vcash command'} (pid ${owner.pid})`, {
      exit: EXIT.cantCreate,
      suggestion: 'Stop the server first (e.g. systemctl stop vcash), restore, then start it again.',
    })
  }
  const existing = fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter((n) => n !== 'vcash.lock') : []
  if (existing.length > 0 && !opts.force) {
    throw new VcashError('data_dir_not_empty', `data dir ${dataDir} is not empty (${existing.slice(0, 4).join(', ')}${existing.length > 4 ? ', …' : ''})`, {
      exit: EXIT.cantCreate,
      suggestion: 'Restore into an empty data dir, or pass --force to move what is there aside (into a replaced-<time> folder) and restore.',
    })
  }
  const lock = acquireLock(dataDir, 'restore')
  try {
    let movedAside: string | null = null
    if (existing.length > 0) {
      movedAside = path.join(dataDir, `replaced-${(opts.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-')}`)
      fs.mkdirSync(movedAside, {mode: 0o700})
      for (const name of existing) fs.renameSync(path.join(dataDir, name), path.join(movedAside, name))
    }
    const target = path.join(dataDir, DB_FILE)
    const tmp = `${target}.restore.tmp`
    fs.copyFileSync(path.resolve(file), tmp)
    fs.chmodSync(tmp, 0o600)
    const db = new BetterSqlite3(tmp)
    const files: string[] = []
    writeThenRename(db, tmp, target, () => {
      for (const f of db.prepare('select path, mode, content from vcash_backup_files order by path').all() as {path: string; mode: number; content: Buffer}[]) {
        const dest = path.resolve(dataDir, f.path)
        // Paths come from a file: never outside the data dir.
        if (!dest.startsWith(path.resolve(dataDir) + path.sep)) throw new VcashError('backup_corrupt', `${file} names a file outside the data dir (${f.path})`, {exit: EXIT.input})
        fs.mkdirSync(path.dirname(dest), {recursive: true, mode: 0o700})
        fs.writeFileSync(dest, f.content, {mode: f.mode & 0o777})
        fsyncFile(dest)
        files.push(f.path)
      }
      db.exec('drop table vcash_backup_files; drop table vcash_backup_meta')
      const restored = counts(db)
      for (const t of LEDGER_TABLES) {
        if (restored[t] !== backup.counts[t]) throw new VcashError('backup_corrupt', `${file}: ${t} holds ${restored[t]} rows, its record says ${backup.counts[t]}`, {exit: EXIT.input})
      }
      db.exec('vacuum')
    })
    // It opens as a ledger (identity, migrations of an older backup) with the counts it was taken with.
    const storage = new SqliteStorage({dataDir})
    await storage.open()
    try {
      const [stores, sms, txs] = [(await storage.listStores()).length, await storage.countSms(), await storage.countTransactions()]
      if (stores !== backup.counts.stores || sms !== backup.counts.sms || txs !== backup.counts.transactions) {
        throw new VcashError('backup_corrupt', `the restored ledger holds ${stores} stores, ${sms} SMS and ${txs} transactions; the backup recorded ${backup.counts.stores}, ${backup.counts.sms} and ${backup.counts.transactions}`, {exit: EXIT.input})
      }
    } finally {
      await storage.close()
    }
    return {file: path.resolve(file), data_dir: path.resolve(dataDir), backup_created_at: backup.createdAt, counts: backup.counts, files, moved_aside: movedAside, duration_ms: Date.now() - started}
  } finally {
    lock.release()
  }
}
