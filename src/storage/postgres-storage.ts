import os from 'node:os'

import {Kysely, PostgresDialect, type RawBuilder, sql, type Transaction} from 'kysely'
import pg from 'pg'

import {BugError, EXIT, VcashError} from '../core/errors.js'
import type {CreditRecord, IntentRecord, NotificationRecord, SessionRecord, SmsRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import type {Piastres} from '../core/money.js'
import {priorIntentStatus} from '../core/intents.js'
import {priorStatus} from '../core/transactions.js'
import {migrateToLatest, type SchemaState, schemaState} from './migrate.js'
import {type Database, MIGRATIONS} from './schema.js'
import * as sessions from './dashboard-queries.js'
import * as devices from './device-queries.js'
import {CHANGES_CHANNEL, ChangeFeed, changePayloads} from './pg-changes.js'
import {Groups} from './groups.js'
import {SharedFailedChecks, windowKey, windowStart, windowSumOf} from './rate-windows.js'
import {SharedReads} from './shared-reads.js'
import {type Batch, ConflictError, type CountedKey, type IntentQuery, type LedgerChange, type NotificationQuery, type Storage, type TransactionQuery} from './storage.js'
import type {FailedChecks} from '../core/rate-limit.js'

export const DEFAULT_POOL_MAX = 10
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000
/** Serialises `open()` of instances starting together (one pg_advisory_lock key, "vcsh" + "migr"). */
const MIGRATE_LOCK = sql.lit(BigInt('0x766373686d696772'))

export interface PostgresStorageOptions {
  /**
   * `postgres://user:pass@host:port/db` (or `postgres://user@/db?host=/run/postgresql`, a Unix
   * socket); `?pool_max=`, `?statement_timeout=` (ms) and `?prepared_statements=off` override the defaults.
   */
  url: string
  /** Default: `VCASH_DB_POOL_MAX` or 10. */
  poolMax?: number
  /** Default: `VCASH_DB_STATEMENT_TIMEOUT_MS` or 15 s. */
  statementTimeoutMs?: number
  /** Apply pending migrations on open (default). `vcash db status` looks without changing anything. */
  migrate?: boolean
}

type Row = {data: string; version: number}

/**
 * The ledger on PostgreSQL, for several vcash instances on one database. The same schema and
 * the same Kysely queries as the embedded store; every batch is one PostgreSQL transaction
 * (READ COMMITTED), and the conditional updates (`… WHERE version = ? [AND status = ?]`) make
 * a racing writer — in this process or another instance — change nothing and get a ConflictError:
 * PostgreSQL re-checks the WHERE of an UPDATE against the row a concurrent commit left.
 */
export class PostgresStorage extends SharedReads implements Storage {
  readonly pool: pg.Pool
  protected readonly k: Kysely<Database>
  private fault: string | null = null
  private faultKind: 'unreachable' | 'full' = 'unreachable'
  private closed = false
  private readonly inFlight = new Set<Promise<unknown>>()
  /**
   * One group written at a time, so batches commit in the order they were handed in (as on the
   * embedded store); a bigger group would hold its row locks (and its callers) longer than it saves.
   */
  private readonly writes = new Groups<QueuedBatch>((g) => this.runGroup(g), {max: 64, out: 1})
  /** Two grouped reads out at once: a second goes while the first is answered, so a check never waits a whole read for a seat. */
  private readonly claimReads = new Groups<ClaimRead>((g) => this.readClaims(g), {max: 64, out: 2})
  private readonly smsReads = new Groups<SmsRead>((g) => this.readSmsByFingerprint(g), {max: 64, out: 2})
  private readonly intentReads = new Groups<IntentRead>((g) => this.readIntentsByAmount(g), {max: 64, out: 2})
  readonly where: string
  private readonly clientConfig: pg.ClientConfig
  private readonly feeds = new Set<ChangeFeed>()
  private storeChanges = 0
  private readonly pruned = {at: 0}
  /** Whether the engine has NOTIFY (PostgreSQL does; CockroachDB, for one, does not): found out on open. */
  private notifies = false

  constructor(private readonly opts: PostgresStorageOptions) {
    super(asReadError)
    const cfg = poolConfig(opts)
    this.where = cfg.where
    // The listening connection: the pool's settings, its own name (pg_stat_activity), keepalive on.
    this.clientConfig = {...cfg.pool, application_name: `vcash-listen@${os.hostname()}`, keepAlive: true, keepAliveInitialDelayMillis: 10_000}
    this.pool = new pg.Pool(cfg.pool)
    // An idle connection dropped (a failover, a restart) must not crash the process, nor mark the
    // ledger faulty: the pool discards it and the next query connects again.
    this.pool.on('error', () => {})
    if (cfg.prepared) this.pool.on('connect', (client) => preparedStatements(client))
    this.k = new Kysely<Database>({dialect: new PostgresDialect({pool: this.pool})})
  }

  async open(): Promise<void> {
    try {
      await sql`select 1`.execute(this.k)
      this.notifies = await this.canNotify()
    } catch (error) {
      throw asOpenError(error, this.where)
    }
    if (this.opts.migrate === false) {
      await this.checkNotNewer()
      return
    }
    await this.migrate()
  }

  /** An engine without pg_notify (undefined_function) still works: instances then only poll. */
  private async canNotify(): Promise<boolean> {
    try {
      await sql`select pg_notify(${CHANGES_CHANNEL}, '')`.execute(this.k)
      return true
    } catch (error) {
      if (pgCode(error) === '42883') return false
      throw error
    }
  }

  /**
   * Apply pending migrations; two instances starting together migrate once. Kysely's migrator
   * takes its own advisory lock around the run, but creates its bookkeeping tables before it:
   * one session lock around the whole of it keeps the second instance out until the first is done.
   */
  async migrate(): Promise<string[]> {
    try {
      return await this.k.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${MIGRATE_LOCK})`.execute(conn)
        try {
          await this.checkNotNewer(conn)
          return await migrateToLatest(conn)
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATE_LOCK})`.execute(conn)
        }
      })
    } catch (error) {
      throw asWriteError(error, (m) => (this.fault = m))
    }
  }

  async schema(): Promise<SchemaState> {
    try {
      return await schemaState(this.k)
    } catch (error) {
      throw asReadError(error)
    }
  }

  /** A database whose schema a newer vcash wrote, or that holds someone else's tables of our names, is refused. */
  private async checkNotNewer(db: Kysely<Database> = this.k): Promise<void> {
    const {rows} = await sql<{name: string}>`select table_name as name from information_schema.tables where table_schema = current_schema()
      and table_name in ('kysely_migration', 'stores', 'sms', 'transactions', 'notifications', 'credits', 'intents', 'rate_windows')`.execute(db)
    const names = new Set(rows.map((r) => r.name))
    if (!names.has('kysely_migration')) {
      if (names.size > 0) {
        throw new VcashError('data_corrupt', `${this.where} holds tables named like vcash's (${[...names].join(', ')}) but no vcash schema`, {
          exit: EXIT.config,
          suggestion: 'Give vcash a database (or a user whose search_path is a schema) of its own; vcash will not write over those tables.',
        })
      }
      return
    }
    const done = await sql<{name: string}>`select name from kysely_migration`.execute(db)
    const newer = done.rows.filter((r) => !(r.name in MIGRATIONS))
    if (newer.length > 0) {
      throw new VcashError('data_corrupt', `${this.where} was written by a newer vcash (schema ${newer.map((r) => r.name).join(', ')})`, {
        exit: EXIT.config,
        suggestion: 'Upgrade vcash to the version that made this database (npm i -g vcash@latest), or restore a backup made by this version.',
      })
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.feeds].map((f) => f.stop()))
    await this.flush()
    await this.k.destroy()
  }

  writeFault(): string | null {
    return this.fault
  }

  /**
   * Moves when a store changed anywhere (its `store:` NOTIFY, heard on a watchChanges feed, a few
   * ms after the commit), so the stores the hot paths read stay cached in memory (a round trip
   * saved on every check and SMS). Without a feed listening this instant (a CLI process, a
   * reconnect), nothing would tell us: a new number every time, so nothing is cached.
   */
  changesElsewhere(): number {
    for (const f of this.feeds) if (f.listening) return this.storeChanges
    return ++this.storeChanges
  }

  // --- writes ---

  /**
   * Group commit, as on the embedded store: the batches that arrive while a group is being
   * written go together in the next one, one transaction (BEGIN, the NOTIFY, COMMIT and its
   * WAL flush paid once per group instead of once per request). A group that fails on a
   * conflict (a lost race, a duplicate SMS, a deadlock with another instance) changed nothing:
   * its batches run again one by one, so only the loser gets its ConflictError.
   */
  commit(batch: Batch): Promise<void> {
    if (this.closed) return Promise.reject(new BugError('commit after close'))
    const p = new Promise<void>((resolve, reject) => this.writes.push({batch, resolve, reject}))
    this.inFlight.add(p)
    const forget = () => this.inFlight.delete(p)
    p.then(forget, forget)
    return p
  }

  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  private async runGroup(group: QueuedBatch[]): Promise<void> {
    if (group.every((q) => loneClaim(q.batch)) && new Set(group.map((q) => q.batch.transactions![0]!.id)).size === group.length) {
      await this.runClaims(group)
      return
    }
    if (group.length > 1) {
      try {
        await this.k.transaction().execute(async (trx) => {
          await this.applyGroup(trx, group.map((q) => q.batch))
          await this.announce(trx, group.flatMap((q) => changePayloads(q.batch)))
        })
      } catch (error) {
        await this.groupFailed(group, error)
        return
      }
      this.fault = null
      for (const q of group) {
        bumpVersions(q.batch)
        q.resolve()
      }
      return
    }
    const [q] = group
    await this.runBatch(q!.batch).then(q!.resolve, q!.reject)
  }

  /** Nothing of a failed group is stored. A conflict: each batch alone, in order, finds out whether it was the loser. Else all fail. */
  private async groupFailed(group: QueuedBatch[], error: unknown): Promise<void> {
    if (!isConflict(error) && !(error instanceof BugError)) {
      const e = this.writeError(error)
      for (const q of group) q.reject(e)
      return
    }
    for (const q of group) await this.runBatch(q.batch).then(q.resolve, q.reject)
  }

  /**
   * Claims alone (each batch one transfer's change and the notifications it queues), in one
   * statement and so one round trip, where a group otherwise takes four (BEGIN, the UPDATE, the
   * NOTIFY, COMMIT): a single statement is atomic without a transaction around it. Each claim's
   * notifications are inserted only if its own conditional update took the row (the INSERT joins
   * the UPDATE's RETURNING), and so is its NOTIFY. A claim that lost its race changed nothing and
   * gets its ConflictError; the others stand, as they would have if run one by one. The caller
   * makes sure no two claims name the same transfer (UPDATE … FROM takes one of two source rows
   * for a target, unpredictably, and both would look taken).
   */
  private async runClaims(group: QueuedBatch[]): Promise<void> {
    const claims = group.map((q) => {
      const t = q.batch.transactions![0]!
      const prior = priorStatus(t) ?? null
      const from = prior !== null && prior !== t.status ? prior : null
      const changes = this.notifies ? changePayloads(q.batch) : []
      return sql`(${t.id}::text, ${t.version}::bigint, ${from}::text, ${t.status}::text, ${ms(t.updatedAt)}::bigint, ${json(t)}::text, ${changes}::text[])`
    })
    const notes = group.flatMap((q) => q.batch.notifications ?? []).map((n) =>
      sql`(${n.id}::text, ${n.storeId}::text, ${n.transactionId}::text, ${n.state}::text, ${n.state === 'pending' && n.nextAttemptAt ? ms(n.nextAttemptAt) : null}::bigint, ${ms(n.createdAt)}::bigint, ${json(n)}::text)`)
    const insert = notes.length === 0
      ? sql``
      : sql`, n(id, store_id, transaction_id, state, next_attempt_at, created_at, data) as (values ${sql.join(notes)}),
        ins as (insert into notifications (id, store_id, transaction_id, state, next_attempt_at, created_at, version, data)
          select n.id, n.store_id, n.transaction_id, n.state, n.next_attempt_at, n.created_at, 1, n.data from n join upd on upd.id = n.transaction_id)`
    let taken: Set<string>
    try {
      const r = await sql<{id: string}>`with v(id, version, from_status, status, updated_at, data, changes) as (values ${sql.join(claims)}),
        upd as (update transactions as t set status = v.status, updated_at = v.updated_at, version = v.version + 1, data = v.data
          from v where t.id = v.id and t.version = v.version and (v.from_status is null or t.status = v.from_status)
          returning t.id)${insert}
        select upd.id, (select count(pg_notify(${CHANGES_CHANNEL}, p)) from unnest(v.changes) as p) as told from upd join v on v.id = upd.id`.execute(this.k)
      taken = new Set(r.rows.map((row) => row.id))
    } catch (error) {
      await this.groupFailed(group, error)
      return
    }
    this.fault = null
    for (const q of group) {
      const t = q.batch.transactions![0]!
      if (!taken.has(t.id)) {
        q.reject(new ConflictError('transaction', t.id))
        continue
      }
      bumpVersions(q.batch)
      q.resolve()
    }
  }

  private writeError(error: unknown): unknown {
    return asWriteError(error, (m, kind) => {
      this.fault = m
      this.faultKind = kind
    })
  }

  private async runBatch(b: Batch): Promise<void> {
    try {
      await this.k.transaction().execute((trx) => this.apply(trx, b))
    } catch (error) {
      if (isConflict(error)) throw error instanceof ConflictError ? error : new ConflictError('batch', describe(b))
      throw this.writeError(error)
    }
    this.fault = null
    bumpVersions(b)
  }

  /**
   * A group's writes with as few statements as its shapes allow: the new SMS, transfers and
   * notifications of every batch in one multi-row INSERT each, and the transfers' changes (the
   * claims) in one conditional UPDATE … FROM (VALUES …) whose RETURNING must name every row, or
   * some claim lost its race (a ConflictError: the group re-runs batch by batch). Stores go first
   * (the others reference them); what is rarer is written row by row, batch by batch, as alone.
   */
  private async applyGroup(trx: Transaction<Database>, batches: Batch[]): Promise<void> {
    for (const b of batches) if (b.stores?.length) await this.apply(trx, {stores: b.stores}, false)
    const smsNew = batches.flatMap((b) => (b.sms ?? []).filter((m) => m.version === 0))
    const txNew = batches.flatMap((b) => (b.transactions ?? []).filter((t) => t.version === 0))
    const txChanged = batches.flatMap((b) => (b.transactions ?? []).filter((t) => t.version !== 0))
    const notificationsNew = batches.flatMap((b) => (b.notifications ?? []).filter((n) => n.version === 0))
    try {
      if (smsNew.length > 0) {
        await trx.insertInto('sms').values(smsNew.map((m) => ({id: m.id, store_id: m.storeId, fingerprint: m.fingerprint, received_at: ms(m.receivedAt), stored_at: ms(m.storedAt), transaction_id: m.transactionId, version: 1, data: json(m)}))).execute()
      }
      if (txNew.length > 0) {
        await trx.insertInto('transactions').values(txNew.map((t) => ({
          id: t.id, store_id: t.storeId, status: t.status, sender_phone: t.senderPhone, amount: t.amount, reference: t.reference, received_at: ms(t.receivedAt),
          created_at: ms(t.createdAt), updated_at: ms(t.updatedAt), sms_id: t.smsId, version: 1, data: json(t),
        }))).execute()
      }
      if (notificationsNew.length > 0) {
        await trx.insertInto('notifications').values(notificationsNew.map((n) => ({id: n.id, store_id: n.storeId, transaction_id: n.transactionId, state: n.state, next_attempt_at: n.state === 'pending' && n.nextAttemptAt ? ms(n.nextAttemptAt) : null, created_at: ms(n.createdAt), version: 1, data: json(n)}))).execute()
      }
    } catch (error) {
      if (pgCode(error) === '23505') throw new ConflictError('batch', 'a group of new records')
      throw error
    }
    if (txChanged.length > 0) {
      const rows = txChanged.map((t) => {
        const prior = priorStatus(t) ?? null
        const from = prior !== null && prior !== t.status ? prior : null
        return sql`(${t.id}::text, ${t.version}::bigint, ${from}::text, ${t.status}::text, ${ms(t.updatedAt)}::bigint, ${json(t)}::text)`
      })
      const r = await sql<{id: string}>`update transactions as t set status = v.status, updated_at = v.updated_at, version = v.version + 1, data = v.data
        from (values ${sql.join(rows)}) as v(id, version, from_status, status, updated_at, data)
        where t.id = v.id and t.version = v.version and (v.from_status is null or t.status = v.from_status)
        returning t.id`.execute(trx)
      if (r.rows.length !== txChanged.length) throw new ConflictError('transaction', txChanged.map((t) => t.id).join(','))
    }
    for (const b of batches) {
      const rest: Batch = {...b, stores: undefined, sms: b.sms?.filter((m) => m.version !== 0), transactions: undefined, notifications: b.notifications?.filter((n) => n.version !== 0)}
      await this.apply(trx, rest, false)
    }
  }

  /** Told to every listening instance when (and only if) this transaction commits. */
  private async announce(trx: Transaction<Database>, changes: string[]): Promise<void> {
    if (this.notifies && changes.length > 0) await sql`select pg_notify(${CHANGES_CHANNEL}, p) from unnest(${changes}::text[]) as p`.execute(trx)
  }

  private async apply(trx: Transaction<Database>, b: Batch, announce = true): Promise<void> {
    const seen = new Set<string>()
    const once = (kind: string, id: string) => {
      if (seen.has(`${kind}:${id}`)) throw new BugError(`${kind} ${id} appears twice in one batch`)
      seen.add(`${kind}:${id}`)
    }
    for (const s of b.stores ?? []) {
      once('store', s.id)
      await put('store', s, () => trx.insertInto('stores').values({id: s.id, api_token_hash: s.apiTokenHash, device_token_hash: s.deviceTokenHash, created_at: ms(s.createdAt), version: 1, data: json(s)}),
        () => trx.updateTable('stores').set({api_token_hash: s.apiTokenHash, device_token_hash: s.deviceTokenHash, version: s.version + 1, data: json(s)}).where('id', '=', s.id).where('version', '=', s.version))
    }
    for (const m of b.sms ?? []) {
      once('sms', m.id)
      await put('sms', m, () => trx.insertInto('sms').values({id: m.id, store_id: m.storeId, fingerprint: m.fingerprint, received_at: ms(m.receivedAt), stored_at: ms(m.storedAt), transaction_id: m.transactionId, version: 1, data: json(m)}),
        () => trx.updateTable('sms').set({transaction_id: m.transactionId, version: m.version + 1, data: json(m)}).where('id', '=', m.id).where('version', '=', m.version))
    }
    for (const t of b.transactions ?? []) {
      once('transaction', t.id)
      // A claim is `… WHERE status = 'PENDING'`: of two instances claiming one transfer, one changes the row.
      const from = priorStatus(t) ?? null
      await put('transaction', t, () => trx.insertInto('transactions').values({
        id: t.id, store_id: t.storeId, status: t.status, sender_phone: t.senderPhone, amount: t.amount, reference: t.reference, received_at: ms(t.receivedAt),
        created_at: ms(t.createdAt), updated_at: ms(t.updatedAt), sms_id: t.smsId, version: 1, data: json(t),
      }), () => {
        let u = trx.updateTable('transactions').set({status: t.status, updated_at: ms(t.updatedAt), version: t.version + 1, data: json(t)}).where('id', '=', t.id).where('version', '=', t.version)
        if (from !== null && from !== t.status) u = u.where('status', '=', from)
        return u
      })
    }
    for (const n of b.notifications ?? []) {
      once('notification', n.id)
      const due = n.state === 'pending' && n.nextAttemptAt ? ms(n.nextAttemptAt) : null
      await put('notification', n, () => trx.insertInto('notifications').values({id: n.id, store_id: n.storeId, transaction_id: n.transactionId, state: n.state, next_attempt_at: due, created_at: ms(n.createdAt), version: 1, data: json(n)}),
        // A saved attempt ends its lease: the next attempt is due at next_attempt_at, for any instance.
        () => trx.updateTable('notifications').set({state: n.state, next_attempt_at: due, version: n.version + 1, data: json(n), leased_until: null, leased_by: null}).where('id', '=', n.id).where('version', '=', n.version))
    }
    for (const c of b.credits ?? []) {
      once('credit', c.id)
      await put('credit', c, () => trx.insertInto('credits').values({id: c.id, store_id: c.storeId, transaction_id: c.transactionId, version: 1, data: json(c)}),
        () => trx.updateTable('credits').set({version: c.version + 1, data: json(c)}).where('id', '=', c.id).where('version', '=', c.version))
    }
    for (const i of b.intents ?? []) {
      once('intent', i.id)
      // A status change is `… WHERE status = <the status it was read in>`, as for a transfer.
      const from = priorIntentStatus(i) ?? i.status
      await put('intent', i, () => trx.insertInto('intents').values({
        id: i.id, store_id: i.storeId, order_id: i.orderId, status: i.status, amount: i.amount, expires_at: ms(i.expiresAt), transaction_id: i.transactionId, created_at: ms(i.createdAt), version: 1, data: json(i),
      }), () => trx.updateTable('intents').set({status: i.status, transaction_id: i.transactionId, version: i.version + 1, data: json(i)}).where('id', '=', i.id).where('version', '=', i.version).where('status', '=', from))
    }
    for (const d of b.devices ?? []) once('device', d.id)
    await devices.applyDeviceWrites(trx, b)
    if (announce) await this.announce(trx, changePayloads(b))
  }

  // --- reads ---

  private async rows(q: {execute(): Promise<unknown[]>}): Promise<Row[]> {
    let rows: Row[]
    try {
      rows = (await q.execute()) as Row[]
    } catch (error) {
      throw asReadError(error)
    }
    // The database is reachable again: /healthz must not wait for a write (a load balancer that
    // took this instance out of rotation sends none). A full database stays faulty until a write works.
    if (this.fault !== null && this.faultKind === 'unreachable') this.fault = null
    return rows
  }

  private async read<T>(q: {execute(): Promise<unknown[]>}): Promise<T[]> {
    return (await this.rows(q)).map((r) => record<T>(r))
  }

  private async readOne<T>(q: {execute(): Promise<unknown[]>}): Promise<T | undefined> {
    const [r] = await this.rows(q)
    return r ? record<T>(r) : undefined
  }

  private async count(table: 'sms' | 'transactions'): Promise<number> {
    const [r] = (await this.rows(this.k.selectFrom(table).select((e) => e.fn.countAll<number>().as('n')))) as unknown as {n: number}[]
    return Number(r?.n ?? 0)
  }

  listStores(): Promise<StoreRecord[]> {
    return this.read(this.k.selectFrom('stores').select(['data', 'version']).orderBy('created_at').orderBy('id'))
  }

  getStore(id: string): Promise<StoreRecord | undefined> {
    return this.readOne(this.k.selectFrom('stores').select(['data', 'version']).where('id', '=', id))
  }

  findStoreByDeviceTokenHash(hash: string): Promise<StoreRecord | undefined> {
    return this.readOne(this.k.selectFrom('stores').select(['data', 'version']).where('device_token_hash', '=', hash))
  }

  findStoreByApiTokenHash(hash: string): Promise<StoreRecord | undefined> {
    return this.readOne(this.k.selectFrom('stores').select(['data', 'version']).where('api_token_hash', '=', hash))
  }

  /** Every SMS in asks this first (a duplicate?): the asks that arrive together go in one query, as the checks' reads do. */
  findSmsByFingerprint(storeId: string, fingerprint: string): Promise<SmsRecord | undefined> {
    return new Promise((resolve, reject) => this.smsReads.push({storeId, fingerprint, resolve, reject}))
  }

  /** A grouped read's rows; or, when it fails, every ask of the group rejected with its error (and null). */
  private async groupRows<T>(group: {reject: (e: unknown) => void}[], q: RawBuilder<T>): Promise<T[] | null> {
    try {
      return (await this.rows({execute: async () => (await q.execute(this.k)).rows})) as T[]
    } catch (error) {
      for (const r of group) r.reject(error)
      return null
    }
  }

  private async readSmsByFingerprint(group: SmsRead[]): Promise<void> {
    const wanted = group.map((r, i) => sql`(${i}::int, ${r.storeId}::text, ${r.fingerprint}::text)`)
    // At most one row per ask: (store_id, fingerprint) is unique.
    const q = sql<Row & {i: number}>`select q.i, s.data, s.version from (values ${sql.join(wanted)}) as q(i, store_id, fingerprint)
      join sms as s on s.store_id = q.store_id and s.fingerprint = q.fingerprint`
    const rows = await this.groupRows(group, q)
    if (!rows) return
    const found = new Map(rows.map((row) => [row.i, record<SmsRecord>(row)]))
    group.forEach((r, i) => r.resolve(found.get(i)))
  }

  getSms(id: string): Promise<SmsRecord | undefined> {
    return this.readOne(this.k.selectFrom('sms').select(['data', 'version']).where('id', '=', id))
  }

  countSms(): Promise<number> {
    return this.count('sms')
  }

  getTransaction(id: string): Promise<TransactionRecord | undefined> {
    return this.readOne(this.k.selectFrom('transactions').select(['data', 'version']).where('id', '=', id))
  }

  // PostgreSQL has no rowid: ties on both instants go by id (random, but the same order for every instance).
  byClaim(storeId: string, phone: string, amount: Piastres): Promise<TransactionRecord[]> {
    return this.read(this.k.selectFrom('transactions').select(['data', 'version'])
      .where('store_id', '=', storeId).where('sender_phone', '=', phone).where('amount', '=', amount)
      .orderBy('received_at').orderBy('created_at').orderBy('id').limit(500))
  }

  /**
   * byClaim beside the caller's failed checks, one round trip where a check would make two; and
   * the checks that arrive while such a read is out go together in the next one, as writes go in
   * groups: one query whose VALUES rows are the checks, each row's candidates and count joined
   * LATERAL and told apart by the row's number. A read's answer is what the database held at some
   * moment between the check's arrival and its answer, as alone; claims stay conditional updates.
   */
  byClaimCounting(storeId: string, phone: string, amount: Piastres, counted: CountedKey): Promise<{candidates: TransactionRecord[]; failed: number}> {
    return new Promise((resolve, reject) => {
      this.claimReads.push({storeId, phone, amount, counted, resolve, reject})
    })
  }

  private async readClaims(group: ClaimRead[]): Promise<void> {
    const wanted = group.map((r, i) => sql`(${i}::int, ${r.storeId}::text, ${r.phone}::text, ${r.amount}::bigint, ${windowKey(r.counted)}::text, ${windowStart(r.counted)}::bigint)`)
    // One row per check even without a candidate (the count's); candidates in byClaim's order and limit.
    const q = sql<Row & {i: number; failed: number | string}>`select q.i, t.data, t.version, ${windowSumOf(sql`q.key`, sql`q.after`)} as failed
      from (values ${sql.join(wanted)}) as q(i, store_id, phone, amount, key, after)
      left join lateral (select data, version, received_at, created_at, id from transactions
        where store_id = q.store_id and sender_phone = q.phone and amount = q.amount
        order by received_at, created_at, id limit 500) as t on true
      order by q.i, t.received_at, t.created_at, t.id`
    const rows = await this.groupRows(group, q)
    if (!rows) return
    const answers = group.map(() => ({candidates: [] as TransactionRecord[], failed: 0}))
    for (const row of rows) {
      const a = answers[row.i]!
      a.failed = Number(row.failed)
      if (row.data !== null) a.candidates.push(record<TransactionRecord>(row))
    }
    group.forEach((r, i) => r.resolve(answers[i]!))
  }

  phonelessByAmount(storeId: string, amount: Piastres): Promise<TransactionRecord[]> {
    return this.read(this.k.selectFrom('transactions').select(['data', 'version'])
      .where('store_id', '=', storeId).where('sender_phone', 'is', null).where('amount', '=', amount)
      .orderBy('received_at').orderBy('created_at').orderBy('id').limit(500))
  }

  byReference(storeId: string, reference: string): Promise<TransactionRecord[]> {
    return this.read(this.k.selectFrom('transactions').select(['data', 'version'])
      .where('store_id', '=', storeId).where('reference', '=', reference)
      .orderBy('received_at').orderBy('created_at').orderBy('id').limit(500))
  }

  pendingReceivedBefore(before: Date, limit: number): Promise<TransactionRecord[]> {
    return this.read(this.k.selectFrom('transactions').select(['data', 'version'])
      .where('status', '=', 'PENDING').where('received_at', '<', before.getTime())
      .orderBy('received_at').limit(limit))
  }

  async hasPaid(storeId: string, phone: string): Promise<boolean> {
    const rows = await this.rows(this.k.selectFrom('transactions').select(['id as data', 'version'])
      .where('store_id', '=', storeId).where('sender_phone', '=', phone).where('status', '=', 'COMPLETED').limit(1))
    return rows.length > 0
  }

  async listTransactions(q: TransactionQuery): Promise<{items: TransactionRecord[]; nextCursor: string | null}> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500)
    let s = this.k.selectFrom('transactions').select(['data', 'version', 'created_at', 'id'])
    if (q.storeId) s = s.where('store_id', '=', q.storeId)
    if (q.status) s = s.where('status', '=', q.status)
    if (q.phone) s = s.where('sender_phone', '=', q.phone)
    if (q.since) s = s.where('created_at', '>=', q.since.getTime())
    if (q.until) s = s.where('created_at', '<', q.until.getTime())
    if (q.cursor) {
      const c = parseCursor(q.cursor)
      s = s.where((e) => e.or([e('created_at', '<', c.at), e.and([e('created_at', '=', c.at), e('id', '<', c.id)])]))
    }
    // COLLATE "C": ids compare byte-wise, as SQLite does, whatever the database's locale.
    s = s.orderBy('created_at', 'desc').orderBy(sql`id collate "C"`, 'desc').limit(limit + 1)
    const rows = (await this.rows(s)) as (Row & {created_at: number; id: string})[]
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return {
      items: page.map((r) => record<TransactionRecord>(r)),
      nextCursor: rows.length > limit && last ? `${last.created_at}.${last.id}` : null,
    }
  }

  countTransactions(): Promise<number> {
    return this.count('transactions')
  }

  getNotification(id: string): Promise<NotificationRecord | undefined> {
    return this.readOne(this.k.selectFrom('notifications').select(['data', 'version']).where('id', '=', id))
  }

  dueNotifications(now: Date, limit: number): Promise<NotificationRecord[]> {
    return this.read(this.k.selectFrom('notifications').select(['data', 'version'])
      .where('state', '=', 'pending').where('next_attempt_at', '<=', now.getTime())
      .orderBy('next_attempt_at').limit(limit))
  }

  /** Rows another instance holds (locked this instant, or leased and not expired) are skipped: SKIP LOCKED, then the lease. */
  async leaseDueNotifications(now: Date, limit: number, holder: string, leaseMs: number): Promise<NotificationRecord[]> {
    const at = now.getTime()
    const due = this.k.selectFrom('notifications').select('id')
      .where('state', '=', 'pending').where('next_attempt_at', '<=', at)
      .where((e) => e.or([e('leased_until', 'is', null), e('leased_until', '<=', at)]))
      .orderBy('next_attempt_at').limit(limit).forUpdate().skipLocked()
    const rows = await this.rows(this.k.updateTable('notifications').set({leased_until: at + leaseMs, leased_by: holder})
      .where('id', 'in', due).returning(['data', 'version', 'next_attempt_at']))
    return rows.sort((a, b) => Number((a as Row & {next_attempt_at: number}).next_attempt_at) - Number((b as Row & {next_attempt_at: number}).next_attempt_at)).map((r) => record<NotificationRecord>(r))
  }

  async listNotifications(q: NotificationQuery): Promise<NotificationRecord[]> {
    let s = this.k.selectFrom('notifications').select(['data', 'version'])
    if (q.storeId) s = s.where('store_id', '=', q.storeId)
    if (q.state) s = s.where('state', '=', q.state)
    if (q.transactionId) s = s.where('transaction_id', '=', q.transactionId)
    if (q.since) s = s.where('created_at', '>=', q.since.getTime())
    s = s.orderBy('created_at', 'desc').orderBy(sql`id collate "C"`, 'desc')
    if (q.limit) s = s.limit(q.limit)
    return this.read(s)
  }

  getCredit(id: string): Promise<CreditRecord | undefined> {
    return this.readOne(this.k.selectFrom('credits').select(['data', 'version']).where('id', '=', id))
  }

  // --- payment intents (the checkout page) ---

  getIntent(id: string): Promise<IntentRecord | undefined> {
    return this.readOne(this.k.selectFrom('intents').select(['data', 'version']).where('id', '=', id))
  }

  findIntentByOrderId(storeId: string, orderId: string): Promise<IntentRecord | undefined> {
    return this.readOne(this.k.selectFrom('intents').select(['data', 'version']).where('store_id', '=', storeId).where('order_id', '=', orderId))
  }

  findIntentByTransaction(transactionId: string): Promise<IntentRecord | undefined> {
    return this.readOne(this.k.selectFrom('intents').select(['data', 'version']).where('transaction_id', '=', transactionId))
  }

  /** Every receipt asks this (an intent waiting for it?): the asks that arrive together go in one query, as the checks' reads do. */
  pendingIntentsByAmount(storeId: string, amount: Piastres): Promise<IntentRecord[]> {
    return new Promise((resolve, reject) => this.intentReads.push({storeId, amount, resolve, reject}))
  }

  private async readIntentsByAmount(group: IntentRead[]): Promise<void> {
    const wanted = group.map((r, i) => sql`(${i}::int, ${r.storeId}::text, ${r.amount}::bigint)`)
    const q = sql<Row & {i: number}>`select q.i, n.data, n.version from (values ${sql.join(wanted)}) as q(i, store_id, amount)
      join lateral (select data, version, created_at, id from intents
        where store_id = q.store_id and amount = q.amount and status = 'pending'
        order by created_at, id collate "C" limit 500) as n on true
      order by q.i, n.created_at, n.id collate "C"`
    const rows = await this.groupRows(group, q)
    if (!rows) return
    const answers = group.map((): IntentRecord[] => [])
    for (const row of rows) answers[row.i]!.push(record<IntentRecord>(row))
    group.forEach((r, i) => r.resolve(answers[i]!))
  }

  pendingIntentsExpiringBefore(before: Date, limit: number): Promise<IntentRecord[]> {
    return this.read(this.k.selectFrom('intents').select(['data', 'version'])
      .where('status', '=', 'pending').where('expires_at', '<', before.getTime())
      .orderBy('expires_at').limit(limit))
  }

  listIntents(q: IntentQuery): Promise<IntentRecord[]> {
    let s = this.k.selectFrom('intents').select(['data', 'version'])
    if (q.storeId) s = s.where('store_id', '=', q.storeId)
    if (q.status) s = s.where('status', '=', q.status)
    return this.read(s.orderBy('created_at', 'desc').orderBy(sql`id collate "C"`, 'desc').limit(Math.min(Math.max(q.limit ?? 50, 1), 500)))
  }

  // --- the dashboard's session writes (the device, balance-point and dashboard reads are SharedReads') ---

  insertSession(s: SessionRecord): Promise<void> {
    return this.written(sessions.insertSession(this.k, s))
  }

  revokeSession(id: string, now: Date): Promise<boolean> {
    return this.written(sessions.revokeSession(this.k, id, now))
  }

  touchSession(id: string, at: Date): Promise<void> {
    return this.written(sessions.touchSession(this.k, id, at))
  }

  revokeAllSessions(): Promise<number> {
    return this.written(sessions.revokeAllSessions(this.k))
  }

  // --- several instances: change feed and shared counters ---

  async watchChanges(onChange: (c: LedgerChange) => void, onError?: (e: unknown) => void): Promise<(() => Promise<void>) | null> {
    if (this.closed) throw new BugError('watchChanges after close')
    if (!this.notifies) return null
    const feed = new ChangeFeed(this.clientConfig, (c) => {
      if (c.kind === 'store' || c.kind === 'resync') this.storeChanges++
      onChange(c)
    }, (error) => {
      this.storeChanges++
      onError?.(error)
    })
    this.feeds.add(feed)
    await feed.start()
    return async () => {
      this.feeds.delete(feed)
      await feed.stop()
    }
  }

  failedChecks(scope: string, windowMs: number): FailedChecks {
    const noteFault = (m: string, kind: 'unreachable' | 'full') => {
      this.fault = m
      this.faultKind = kind
    }
    return new SharedFailedChecks(this.k, {
      scope,
      windowMs,
      readError: (e) => asReadError(e),
      writeError: (e) => asWriteError(e, noteFault),
      pruned: this.pruned,
    })
  }

  private written<T>(p: Promise<T>): Promise<T> {
    return p.catch((error: unknown) => Promise.reject(asWriteError(error, (m, kind) => {
      this.fault = m
      this.faultKind = kind
    })))
  }
}

/** Insert a new record (version 0) or update the version it was read at; anything else is a conflict. */
async function put(kind: string, rec: {id: string; version: number}, insert: () => {execute(): Promise<unknown>}, update: () => {executeTakeFirst(): Promise<{numUpdatedRows: bigint}>}): Promise<void> {
  if (rec.version === 0) {
    try {
      await insert().execute()
    } catch (error) {
      if (pgCode(error) === '23505') throw new ConflictError(kind, rec.id)
      throw error
    }
    return
  }
  const r = await update().executeTakeFirst()
  if (r.numUpdatedRows !== 1n) throw new ConflictError(kind, rec.id)
}

/** Pool settings: the URL's `pool_max` / `statement_timeout`, else the env, else the defaults. */
export function poolConfig(opts: PostgresStorageOptions): {pool: pg.PoolConfig; where: string; prepared: boolean} {
  let u: URL
  try {
    // libpq's form for a Unix socket, `postgres://user@/db?host=/run/postgresql`, has an empty
    // host, which a WHATWG URL refuses: a placeholder host, which the `host` parameter overrides.
    u = new URL(opts.url.replace(/^(postgres(?:ql)?:\/\/[^/?#]*@)(?=\/)/i, '$1localhost'))
  } catch {
    throw badUrl('is not a URL')
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw badUrl('must start with postgres:// or postgresql://')
  const take = (key: string): string | null => {
    const v = u.searchParams.get(key)
    u.searchParams.delete(key)
    return v
  }
  const int = (name: string, raw: string | null | undefined, min: number, max: number): number | undefined => {
    if (raw === null || raw === undefined || raw === '') return undefined
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) throw badUrl(`${name}=${raw.slice(0, 20)}: a whole number from ${min} to ${max}`)
    return n
  }
  const poolMax = int('pool_max', take('pool_max'), 1, 1000) ?? opts.poolMax ?? int('VCASH_DB_POOL_MAX', process.env.VCASH_DB_POOL_MAX, 1, 1000) ?? DEFAULT_POOL_MAX
  const timeout = int('statement_timeout', take('statement_timeout'), 0, 3_600_000) ?? opts.statementTimeoutMs ?? int('VCASH_DB_STATEMENT_TIMEOUT_MS', process.env.VCASH_DB_STATEMENT_TIMEOUT_MS, 0, 3_600_000) ?? DEFAULT_STATEMENT_TIMEOUT_MS
  // Named prepared statements: off for a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).
  const rawPrepared = take('prepared_statements') ?? process.env.VCASH_DB_PREPARED_STATEMENTS ?? 'on'
  if (!/^(on|off|true|false)$/i.test(rawPrepared)) throw badUrl(`prepared_statements=${rawPrepared.slice(0, 20)}: on or off`)
  const prepared = /^(on|true)$/i.test(rawPrepared)
  // Where, for messages: never the password. A socket's directory is where, when one is given.
  const host = u.searchParams.get('host')
  const where = `postgres://${host ? decodeURIComponent(host) : u.host || 'localhost'}${u.pathname}`
  return {
    where,
    prepared,
    pool: {
      connectionString: u.toString(),
      max: poolMax,
      statement_timeout: timeout,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: `vcash@${os.hostname()}`,
      // int8 (epoch ms, piastres, counts) as numbers: all of them are far below 2^53.
      types: {getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser},
    },
  }
}

function badUrl(why: string): VcashError {
  return new VcashError('invalid_flags', `--database-url ${why}`, {exit: EXIT.usage, suggestion: 'e.g. --database-url postgres://vcash:secret@db.internal:5432/vcash'})
}


interface IntentRead {
  storeId: string
  amount: Piastres
  resolve: (r: IntentRecord[]) => void
  reject: (e: unknown) => void
}

interface SmsRead {
  storeId: string
  fingerprint: string
  resolve: (r: SmsRecord | undefined) => void
  reject: (e: unknown) => void
}

interface ClaimRead {
  storeId: string
  phone: string
  amount: Piastres
  counted: CountedKey
  resolve: (r: {candidates: TransactionRecord[]; failed: number}) => void
  reject: (e: unknown) => void
}

interface QueuedBatch {
  batch: Batch
  resolve: () => void
  reject: (e: unknown) => void
}

/** A claim's batch: one transfer changed, the notifications it queues for that transfer, nothing else. */
function loneClaim(b: Batch): boolean {
  const [t, ...more] = b.transactions ?? []
  if (!t || more.length > 0 || t.version === 0) return false
  if (!(b.notifications ?? []).every((n) => n.version === 0 && n.transactionId === t.id)) return false
  return [b.stores, b.sms, b.credits, b.intents, b.devices, b.deviceContacts, b.balancePoints].every((l) => !l || l.length === 0)
}

function bumpVersions(b: Batch): void {
  for (const list of [b.stores, b.sms, b.transactions, b.notifications, b.credits, b.intents, b.devices, b.balancePoints]) {
    for (const rec of list ?? []) rec.version += 1
  }
}

/**
 * Every query of the ledger is one of a few dozen fixed shapes: each becomes a named prepared
 * statement on the connection that first runs it (node-postgres parses it there once), so
 * PostgreSQL parses and plans it once per connection instead of once per request.
 */
const statementNames = new Map<string, string>()
const MAX_PREPARED = 1000
const MAX_PREPARED_TEXT = 8192

function preparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...a: unknown[]) => unknown
  ;(client as unknown as {query: (...a: unknown[]) => unknown}).query = (text: unknown, values: unknown, ...rest: unknown[]) => {
    // A group's multi-row statements vary with its size: the long ones (a sweep's hundreds of rows) stay unnamed.
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || rest.length > 0 || text.length > MAX_PREPARED_TEXT) return query(text, values, ...rest)
    let name = statementNames.get(text)
    if (name === undefined && statementNames.size < MAX_PREPARED) {
      name = `v${statementNames.size}`
      statementNames.set(text, name)
    }
    return name === undefined ? query(text, values) : query({name, text, values})
  }
}

function describe(b: Batch): string {
  return [b.stores, b.sms, b.transactions, b.notifications, b.credits, b.intents, b.devices, b.balancePoints].flatMap((l) => (l ?? []).map((r) => r.id)).join(',')
}

function json(rec: {version: number}): string {
  const {version: _v, ...rest} = rec
  return JSON.stringify(rest)
}

function record<T>(r: Row): T {
  const o = JSON.parse(r.data) as T & {version: number}
  o.version = Number(r.version)
  return o
}

function ms(iso: string): number {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) throw new BugError(`not an instant: ${iso}`)
  return t
}

function parseCursor(cursor: string): {at: number; id: string} {
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/.exec(cursor)
  if (!m) throw new VcashError('invalid_input', 'cursor: not a cursor returned by this server', {http: 400, errors: [{field: 'cursor', message: 'not a cursor returned by this server'}]})
  return {at: Number(m[1]), id: m[2]!}
}

function pgCode(error: unknown): string {
  const c = (error as {code?: unknown})?.code
  return typeof c === 'string' ? c : ''
}

/** Lost a race: a unique key, a serialization failure or a deadlock. The caller re-reads. */
function isConflict(error: unknown): boolean {
  if (error instanceof ConflictError) return true
  const c = pgCode(error)
  return c === '23505' || c === '40001' || c === '40P01'
}

function asOpenError(error: unknown, where: string): unknown {
  const c = pgCode(error)
  if (c === '3D000') return new VcashError('database_missing', `${where}: the database does not exist`, {exit: EXIT.config, suggestion: 'Create it first (createdb, or CREATE DATABASE vcash OWNER vcash), then start vcash again.', cause: error})
  if (c === '28P01' || c === '28000') return new VcashError('database_auth', `${where}: the database refused the user or password`, {exit: EXIT.config, suggestion: 'Check the user and password in --database-url (or VCASH_DATABASE_URL).', cause: error})
  return asWriteError(error, () => {})
}

/** The database unreachable, out of space or too slow: "try again later", and nothing was stored. */
export function asWriteError(error: unknown, noteFault: (m: string, kind: 'unreachable' | 'full') => void): unknown {
  if (error instanceof VcashError || error instanceof ConflictError || error instanceof BugError) return error
  const c = pgCode(error)
  const cls = c.slice(0, 2)
  const unreachable = /^E[A-Z]+$/.test(c) || /timeout|terminated|Connection/i.test((error as Error)?.message ?? '')
  if (!unreachable && !['08', '53', '57', '58'].includes(cls)) return error
  const why = cls === '53' ? `the database is out of resources (${c})` : c === '57014' ? 'a database statement timed out' : `the database is unreachable (${c || (error as Error).message})`
  noteFault(why, cls === '53' ? 'full' : 'unreachable')
  return new VcashError('storage_unavailable', `storage unavailable: ${why}; nothing was stored`, {
    http: 503,
    exit: EXIT.unavailable,
    suggestion: 'Retry in a moment; check that PostgreSQL is up and reachable.',
    cause: error,
  })
}

function asReadError(error: unknown): unknown {
  return asWriteError(error, () => {})
}
