/**
 * Failed-check counters in the database every instance shares (table `rate_windows`), so the
 * failed-check limit and anti-spam's failed-checks-before rule count a caller's guesses
 * whichever instance the load balancer sent each one to.
 *
 * The same sliding window as the in-memory WindowCounter (ten buckets per window, one row per
 * key and bucket), on the service's clock (which `serve --dev` can move). Counting races
 * between instances (two read 59 at once, both let the 60th through) can overshoot a limit
 * by the number of checks in flight, as concurrent checks in one process can.
 *
 * Chosen over rate-limiter-flexible's RateLimiterPostgres: that one is a fixed window from a
 * key's first hit (not sliding), reads Date.now() (not our clock), and issues CREATE TABLE at
 * run time outside our migrations (a least-privilege database user may not create tables).
 */
import {type Kysely, type RawBuilder, sql} from 'kysely'

import type {FailedChecks} from '../core/rate-limit.js'
import {Groups} from './groups.js'
import type {Database} from './schema.js'

interface Add {
  key: string
  start: number
  resolve: () => void
  reject: (e: unknown) => void
}

const BUCKETS = 10
/** Each process deletes rows past their window at most this often (the rows of one bucket are ~1/10 of a window). */
const PRUNE_EVERY_MS = 60_000

export interface RateWindowsOptions {
  /** Which counter (`caller`, `claim`): two windows share the table under their own keys. */
  scope: string
  windowMs: number
  /** Map a driver error to the ledger's (storage_unavailable); the error is thrown as returned. */
  readError: (e: unknown) => unknown
  writeError: (e: unknown) => unknown
  /** When this process last pruned, shared by its counters. */
  pruned: {at: number}
}

/** The failures a counter holds for `key` in the window ending `now`, as one scalar subquery (also read beside a claim's candidates). */
export function windowSum(c: {scope: string; key: string; windowMs: number; now: number}): RawBuilder<number> {
  return windowSumOf(sql`${windowKey(c)}`, sql`${windowStart(c)}`)
}

/** The same sum over SQL expressions: a grouped read names each request's key and window start by column. */
export function windowSumOf(key: RawBuilder<unknown>, after: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(select coalesce(sum(hits), 0) from rate_windows where key = ${key} and bucket_start > ${after})`
}

/** The row key of a counter's key (its scope first: two counters share the table). */
export function windowKey(c: {scope: string; key: string}): string {
  return `${c.scope} ${c.key}`
}

/** Buckets that started after this are inside the window ending `now`. */
export function windowStart(c: {windowMs: number; now: number}): number {
  return c.now - c.windowMs
}

export class SharedFailedChecks implements FailedChecks {
  private readonly bucketMs: number
  readonly inLedger: {scope: string; windowMs: number}

  /** Failures counted at once go in one statement, as a group commit does (a write per failed check was a WAL flush each). */
  private readonly adds = new Groups<Add>((g) => this.addAll(g), {max: 256, out: 1})

  constructor(private readonly k: Kysely<Database>, private readonly o: RateWindowsOptions) {
    this.bucketMs = Math.max(1, Math.ceil(o.windowMs / BUCKETS))
    this.inLedger = {scope: o.scope, windowMs: o.windowMs}
  }

  async add(key: string, now: number): Promise<void> {
    const start = now - (now % this.bucketMs)
    await new Promise<void>((resolve, reject) => this.adds.push({key: this.key(key), start, resolve, reject}))
    if (now - this.o.pruned.at >= PRUNE_EVERY_MS) {
      this.o.pruned.at = now
      // Housekeeping: a failed prune is retried at the next one.
      void this.k.deleteFrom('rate_windows').where('expires_at', '<=', now).execute().catch(() => {})
    }
  }

  /**
   * The failures that arrived together, in one upsert: a row per key and bucket (an upsert may
   * not touch a row twice), in key order, so two instances' upserts take their row locks in the
   * same order and never deadlock.
   */
  private async addAll(group: Add[]): Promise<void> {
    const rows = new Map<string, {key: string; bucket_start: number; hits: number; expires_at: number}>()
    for (const a of group) {
      const id = `${a.start} ${a.key}`
      const r = rows.get(id)
      if (r) r.hits++
      else rows.set(id, {key: a.key, bucket_start: a.start, hits: 1, expires_at: a.start + this.o.windowMs})
    }
    const values = [...rows.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.bucket_start - y.bucket_start))
    try {
      await this.k.insertInto('rate_windows').values(values)
        .onConflict((oc) => oc.columns(['key', 'bucket_start']).doUpdateSet({hits: sql`rate_windows.hits + excluded.hits`}))
        .execute()
    } catch (error) {
      const e = this.o.writeError(error)
      for (const a of group) a.reject(e)
      return
    }
    for (const a of group) a.resolve()
  }

  async count(key: string, now: number): Promise<number> {
    try {
      const {rows} = await sql<{hits: number | string}>`select ${windowSum({...this.inLedger, key, now})} as hits`.execute(this.k)
      return Number(rows[0]?.hits ?? 0)
    } catch (error) {
      throw this.o.readError(error)
    }
  }

  async retryAfter(key: string, now: number): Promise<number> {
    const {oldest} = await this.window(key, now)
    return oldest === null ? 0 : Math.max(1, Math.ceil((oldest + this.o.windowMs - now) / 1000))
  }

  async clear(key: string): Promise<void> {
    try {
      await this.k.deleteFrom('rate_windows').where('key', '=', this.key(key)).execute()
    } catch (error) {
      throw this.o.writeError(error)
    }
  }

  private async window(key: string, now: number): Promise<{hits: number; oldest: number | null}> {
    try {
      const r = await this.k.selectFrom('rate_windows')
        .select((e) => [e.fn.sum<number | null>('hits').as('hits'), e.fn.min<number | null>('bucket_start').as('oldest')])
        .where('key', '=', this.key(key)).where('bucket_start', '>', windowStart({windowMs: this.o.windowMs, now}))
        .executeTakeFirst()
      return {hits: Number(r?.hits ?? 0), oldest: r?.oldest === null || r?.oldest === undefined ? null : Number(r.oldest)}
    } catch (error) {
      throw this.o.readError(error)
    }
  }

  private key(key: string): string {
    return windowKey({scope: this.o.scope, key})
  }
}
