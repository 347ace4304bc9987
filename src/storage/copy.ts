/**
 * Copy an embedded ledger (a data dir's SQLite file) into PostgreSQL: the step from one machine
 * to several instances on one database.
 *
 * Generic over the schema: the tables are whatever the SQLite file holds (minus Kysely's
 * bookkeeping), in foreign-key order, so a table a later migration adds is copied without a
 * change here. Both sides must be at this vcash's schema (the target is migrated first; an older
 * source is refused with the command that upgrades it), so their tables and columns agree.
 *
 * - The source is read in ONE SQLite read transaction: the copy is one moment of the ledger even
 *   while a server writes to it (WAL: the reader does not block the writer).
 * - The target is written in ONE PostgreSQL transaction that first locks every table against
 *   writers: a failed copy leaves nothing behind, and an instance started meanwhile waits.
 * - Verified by row counts and a sha256 per table over the rows in primary-key order, computed by
 *   the same function on both sides from the values as read back (integers as decimal strings,
 *   so an int8 that pg hands over as a string or a number hashes like SQLite's integer).
 *
 * SQLite- and PostgreSQL-specific on purpose; it lives beside the engines (like backup.ts), not
 * among the use cases, which see only the Storage interface.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import BetterSqlite3 from 'better-sqlite3'
import type pg from 'pg'

import {EXIT, VcashError} from '../core/errors.js'
import {acquireLock, type FileLock, lockOwner} from '../io/lock.js'
import {PostgresStorage} from './postgres-storage.js'
import {MIGRATIONS} from './schema.js'
import {APPLICATION_ID, DB_FILE} from './sqlite-storage.js'

/** Kysely's own tables: each side has its own migration history, made by `migrate`. */
const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock'])
const INT_TYPES = new Set(['smallint', 'integer', 'bigint'])
/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for any table of ours. */
const MAX_PARAMS = 30_000
const FETCH = 2000

export interface CopyTableReport {
  table: string
  rows: number
  /** Rows the target held before (only with force: they were replaced). */
  replaced: number
  source_sha256: string
  target_sha256: string
  ok: boolean
}

export interface CopyReport {
  from: string
  /** The target without its password. */
  to: string
  /** Migrations applied to the target before the copy. */
  migrated: string[]
  /** A server held the source data dir during the copy (--allow-running). */
  source_running: boolean
  forced: boolean
  tables: CopyTableReport[]
  rows: number
  ok: boolean
  duration_ms: number
}

export interface CopyOptions {
  force?: boolean
  allowRunning?: boolean
}

interface TableShape {
  name: string
  columns: string[]
  /** Primary-key columns, in key order (all columns when a table has none). */
  key: string[]
  /** PostgreSQL data_type per column, how both sides' values are normalised. */
  types: Record<string, string>
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`

/** One value as a stable string (or null): the same for SQLite's and pg's representation of it. */
function canonical(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null
  if (INT_TYPES.has(type)) return BigInt(value as number | bigint | string).toString()
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`
  return String(value)
}

class TableHash {
  private readonly h = createHash('sha256')
  rows = 0
  constructor(private readonly shape: TableShape) {}
  add(row: Record<string, unknown>): void {
    this.h.update(`${JSON.stringify(this.shape.columns.map((c) => canonical(row[c], this.shape.types[c]!)))}\n`)
    this.rows++
  }
  digest(): string {
    return this.h.digest('hex')
  }
}

function openSource(dataDir: string): BetterSqlite3.Database {
  const file = path.join(dataDir, DB_FILE)
  if (!fs.existsSync(file)) {
    throw new VcashError('no_ledger', `${dataDir} has no vcash ledger (${DB_FILE})`, {exit: EXIT.usage, suggestion: 'Pass the data dir your server uses: --from /var/lib/vcash.'})
  }
  const db = new BetterSqlite3(file, {fileMustExist: true, timeout: 10_000})
  try {
    if (db.pragma('application_id', {simple: true}) !== APPLICATION_ID) {
      throw new VcashError('data_corrupt', `${file} is not a vcash ledger`, {exit: EXIT.config, suggestion: 'Pass a vcash data dir as --from.'})
    }
    const done = new Set((db.prepare('select name from kysely_migration').all() as {name: string}[]).map((r) => r.name))
    const newer = [...done].filter((n) => !(n in MIGRATIONS))
    if (newer.length > 0) {
      throw new VcashError('data_corrupt', `${file} was written by a newer vcash (schema ${newer.join(', ')})`, {exit: EXIT.config, suggestion: 'Copy it with the vcash version that made it.'})
    }
    const pending = Object.keys(MIGRATIONS).filter((n) => !done.has(n))
    if (pending.length > 0) {
      throw new VcashError('schema_outdated', `${file} lacks migrations ${pending.join(', ')}: its tables are not this vcash's yet`, {
        exit: EXIT.config,
        suggestion: `Bring it up to date first: vcash db migrate --data-dir ${dataDir} (or start this vcash on it once), then copy again.`,
      })
    }
  } catch (error) {
    db.close()
    throw error
  }
  return db
}

/** The source's tables, parents before children (foreign keys), with their columns and keys. */
function sourceTables(db: BetterSqlite3.Database): {name: string; columns: string[]; key: string[]}[] {
  const names = (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all() as {name: string}[])
    .map((r) => r.name)
    .filter((n) => !BOOKKEEPING.has(n))
  const parents = new Map(names.map((n) => [n, (db.pragma(`foreign_key_list(${q(n)})`) as {table: string}[]).map((f) => f.table).filter((t) => t !== n)]))
  const ordered: string[] = []
  const visit = (n: string, seen: Set<string>) => {
    if (ordered.includes(n) || seen.has(n)) return
    seen.add(n)
    for (const p of parents.get(n) ?? []) if (parents.has(p)) visit(p, seen)
    ordered.push(n)
  }
  for (const n of names) visit(n, new Set())
  return ordered.map((name) => {
    const info = db.pragma(`table_info(${q(name)})`) as {name: string; pk: number}[]
    const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
    const columns = info.map((c) => c.name)
    return {name, columns, key: key.length > 0 ? key : columns}
  })
}

async function targetTypes(client: pg.PoolClient): Promise<Map<string, Record<string, string>>> {
  const {rows} = await client.query<{table_name: string; column_name: string; data_type: string}>(
    'select table_name, column_name, data_type from information_schema.columns where table_schema = current_schema()',
  )
  const out = new Map<string, Record<string, string>>()
  for (const r of rows) out.set(r.table_name, {...out.get(r.table_name), [r.column_name]: r.data_type})
  return out
}

function shapes(db: BetterSqlite3.Database, types: Map<string, Record<string, string>>, where: string): TableShape[] {
  return sourceTables(db).map((t) => {
    const target = types.get(t.name)
    const missing = target ? t.columns.filter((c) => !(c in target)) : t.columns
    const extra = target ? Object.keys(target).filter((c) => !t.columns.includes(c)) : []
    if (!target || missing.length > 0 || extra.length > 0) {
      throw new VcashError('schema_mismatch', `${where}: table ${t.name} ${target ? `differs from the source's (columns ${[...missing, ...extra].join(', ')})` : 'is missing'}`, {
        exit: EXIT.config,
        suggestion: 'Give vcash a database of its own (the target must hold only what vcash made), at the same vcash version as the source.',
      })
    }
    return {...t, types: target}
  })
}

/** ORDER BY the primary key in byte order on both sides (SQLite's BINARY is PostgreSQL's "C"). */
function orderBy(shape: TableShape, engine: 'sqlite' | 'pg'): string {
  return shape.key.map((c) => (engine === 'pg' && !INT_TYPES.has(shape.types[c]!) ? `${q(c)} collate "C"` : q(c))).join(', ')
}

function pgValue(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v
}

async function insertRows(client: pg.PoolClient, shape: TableShape, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return
  const params: unknown[] = []
  const tuples = rows.map((row) => `(${shape.columns.map((c) => {
    params.push(pgValue(row[c]))
    return `$${params.length}`
  }).join(', ')})`)
  await client.query(`insert into ${q(shape.name)} (${shape.columns.map(q).join(', ')}) values ${tuples.join(', ')}`, params)
}

/** Hash a PostgreSQL table the way the source was hashed, through a cursor (memory stays flat). */
async function hashTarget(client: pg.PoolClient, shape: TableShape): Promise<TableHash> {
  const hash = new TableHash(shape)
  await client.query(`declare vcash_copy_verify no scroll cursor for select ${shape.columns.map(q).join(', ')} from ${q(shape.name)} order by ${orderBy(shape, 'pg')}`)
  for (;;) {
    const {rows} = await client.query<Record<string, unknown>>(`fetch ${FETCH} from vcash_copy_verify`)
    for (const r of rows) hash.add(r)
    if (rows.length < FETCH) break
  }
  await client.query('close vcash_copy_verify')
  return hash
}

export async function copyToPostgres(dataDir: string, databaseUrl: string, opts: CopyOptions = {}): Promise<CopyReport> {
  const started = Date.now()
  const from = path.resolve(dataDir)
  const owner = lockOwner(from)
  if (owner && !opts.allowRunning) {
    throw new VcashError('data_dir_locked', `data dir ${from} is in use by ${owner.holder === 'server' ? 'a vcash server' : 'another vcash command'} (pid ${owner.pid})`, {
      exit: EXIT.cantCreate,
      suggestion: 'Stop the server first (payments it takes after the copy would not be in PostgreSQL), or pass --allow-running to copy one consistent moment of it anyway.',
    })
  }
  const db = openSource(from)
  // Nobody starts a server on the source while it is copied (unless one already runs: --allow-running).
  let lock: FileLock | null = null
  const target = new PostgresStorage({url: databaseUrl, migrate: false})
  let client: pg.PoolClient | null = null
  try {
    if (!owner) lock = acquireLock(from, 'db copy')
    await target.open()
    const migrated = await target.migrate()
    client = await target.pool.connect()
    const tables = shapes(db, await targetTypes(client), target.where)
    const reports: CopyTableReport[] = []
    const sourceHashes = new Map<string, TableHash>()

    // One read transaction for the whole copy: BEGIN is deferred, the first SELECT fixes the snapshot.
    db.exec('begin')
    try {
      db.prepare('select count(*) from sqlite_master').get()
      await client.query('begin')
      try {
        // Every table at once, against writers (readers go on): no instance writes half-way in.
        await client.query(`lock table ${tables.map((t) => q(t.name)).join(', ')} in share row exclusive mode`)
        const before = new Map<string, number>()
        for (const t of tables) before.set(t.name, Number((await client.query<{n: string}>(`select count(*) n from ${q(t.name)}`)).rows[0]!.n))
        const holding = tables.filter((t) => before.get(t.name)! > 0)
        if (holding.length > 0 && !opts.force) {
          throw new VcashError('target_not_empty', `${target.where} already holds a ledger (${holding.map((t) => `${before.get(t.name)} ${t.name}`).join(', ')})`, {
            exit: EXIT.cantCreate,
            suggestion: 'Copy into an empty database, or pass --force to replace what it holds with the data dir\'s ledger.',
          })
        }
        if (holding.length > 0) await client.query(`truncate table ${tables.map((t) => q(t.name)).join(', ')}`)
        for (const t of tables) {
          const hash = new TableHash(t)
          const batchRows = Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / t.columns.length)))
          const stmt = db.prepare(`select ${t.columns.map(q).join(', ')} from ${q(t.name)} order by ${orderBy(t, 'sqlite')}`).safeIntegers(true)
          let batch: Record<string, unknown>[] = []
          for (const row of stmt.iterate() as IterableIterator<Record<string, unknown>>) {
            hash.add(row)
            batch.push(row)
            if (batch.length >= batchRows) {
              await insertRows(client, t, batch)
              batch = []
            }
          }
          await insertRows(client, t, batch)
          sourceHashes.set(t.name, hash)
        }
        await client.query('commit')
        for (const t of tables) reports.push({table: t.name, rows: sourceHashes.get(t.name)!.rows, replaced: before.get(t.name)!, source_sha256: sourceHashes.get(t.name)!.digest(), target_sha256: '', ok: false})
      } catch (error) {
        await client.query('rollback').catch(() => {})
        throw error
      }
    } finally {
      db.exec('commit')
    }

    // Verify what PostgreSQL now holds, read back in a fresh transaction.
    await client.query('begin read only')
    try {
      for (const [k, t] of tables.entries()) {
        const got = await hashTarget(client, t)
        const r = reports[k]!
        r.target_sha256 = got.digest()
        r.ok = got.rows === r.rows && r.target_sha256 === r.source_sha256
      }
    } finally {
      await client.query('commit')
    }
    const ok = reports.every((r) => r.ok)
    const report: CopyReport = {from, to: target.where, migrated, source_running: owner !== null, forced: Boolean(opts.force), tables: reports, rows: reports.reduce((n, r) => n + r.rows, 0), ok, duration_ms: Date.now() - started}
    if (!ok) {
      const bad = reports.filter((r) => !r.ok).map((r) => r.table)
      throw new VcashError('copy_mismatch', `the copy in ${target.where} differs from ${from} in ${bad.join(', ')}`, {
        exit: EXIT.bug,
        suggestion: 'Do not point servers at it. Run the copy again with --force; if it differs again, report it with the --json output.',
      })
    }
    return report
  } finally {
    client?.release()
    await target.close()
    db.close()
    lock?.release()
  }
}
