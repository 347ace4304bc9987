/**
 * Sliding-window counters kept in memory. Failed checks are limited per store and client
 * address so nobody can enumerate phone numbers to claim other people's transfers; losing
 * the counters on restart only resets the window.
 *
 * Counts live in a few fixed buckets per key (not one timestamp per hit), so memory per key
 * is constant however hard a caller hammers us.
 */
import ipaddr from 'ipaddr.js'

const BUCKETS = 10

interface Entry {
  /** Start time (ms) of the bucket at each slot. */
  starts: number[]
  counts: number[]
}

export class WindowCounter implements FailedChecks {
  private readonly entries = new Map<string, Entry>()
  private readonly bucketMs: number
  private prunedAt = -Infinity

  constructor(private readonly windowMs: number, private readonly maxKeys = 100_000) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS))
  }

  add(key: string, now: number): void {
    let e = this.entries.get(key)
    if (!e) {
      if (this.entries.size >= this.maxKeys) this.makeRoom(now)
      e = {starts: new Array<number>(BUCKETS).fill(-Infinity), counts: new Array<number>(BUCKETS).fill(0)}
      this.entries.set(key, e)
    }
    const start = now - (now % this.bucketMs)
    const slot = Math.floor(start / this.bucketMs) % BUCKETS
    if (e.starts[slot] !== start) {
      e.starts[slot] = start
      e.counts[slot] = 0
    }
    e.counts[slot]! += 1
  }

  count(key: string, now: number): number {
    const e = this.entries.get(key)
    if (!e) return 0
    let n = 0
    for (let i = 0; i < BUCKETS; i++) if (e.starts[i]! > now - this.windowMs) n += e.counts[i]!
    return n
  }

  /** Seconds until the oldest counted bucket leaves the window. */
  retryAfter(key: string, now: number): number {
    const e = this.entries.get(key)
    if (!e) return 0
    let oldest = Infinity
    for (let i = 0; i < BUCKETS; i++) if (e.starts[i]! > now - this.windowMs && e.counts[i]! > 0) oldest = Math.min(oldest, e.starts[i]!)
    return oldest === Infinity ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000))
  }

  clear(key: string): void {
    this.entries.delete(key)
  }

  /**
   * Full: drop keys whose window has passed, at most once per bucket (a full scan on every new
   * key is what made 100,000 distinct phones bring the server to 40 answers/s). If that freed
   * too little, forget the oldest tenth: Map keeps insertion order, so those are the keys first
   * seen longest ago. Forgetting only resets a window early, which is what a restart does too.
   */
  private makeRoom(now: number): void {
    if (now - this.prunedAt >= this.bucketMs) {
      this.prunedAt = now
      for (const [key] of this.entries) if (this.count(key, now) === 0) this.entries.delete(key)
    }
    if (this.entries.size < this.maxKeys) return
    let drop = Math.max(1, Math.floor(this.maxKeys / 10))
    for (const key of this.entries.keys()) {
      if (drop-- <= 0) break
      this.entries.delete(key)
    }
  }
}

/** An answer the in-memory counter has at once and a shared database later. */
export type Maybe<T> = T | Promise<T>

/**
 * Failed checks counted per key over a sliding window. The embedded store keeps them in this
 * process (a WindowCounter answers synchronously, so the check's miss path awaits nothing);
 * instances sharing a PostgreSQL keep them there, so a caller who spreads guesses over every
 * instance behind a load balancer is counted once.
 */
export interface FailedChecks {
  add(key: string, now: number): Maybe<void>
  count(key: string, now: number): Maybe<number>
  /** Seconds until the oldest counted failure leaves the window (0 when none). */
  retryAfter(key: string, now: number): Maybe<number>
  clear(key: string): Maybe<void>
  /** Kept in the ledger's database under this scope: a read of the ledger can count it in the same round trip. */
  readonly inLedger?: {scope: string; windowMs: number}
}

/** Makes the counter of one window; `scope` keeps two windows' keys apart where they share a table. */
export type FailedChecksFactory = (scope: string, windowMs: number) => FailedChecks

export const inMemoryFailedChecks: FailedChecksFactory = (_scope, windowMs) => new WindowCounter(windowMs)

const keyCache = new Map<string, string>()

/**
 * Who a failed-check limit counts: an IPv4 address, or a whole IPv6 /64. One subscriber, one
 * VPS or one phone is handed a /64, so counting per IPv6 address would give anyone 2^64 fresh
 * windows. An IPv4-mapped IPv6 address (::ffff:198.51.100.7, what a dual-stack socket reports)
 * counts as its IPv4 address. Text that is not an address is its own key.
 */
export function callerKey(ip: string): string {
  const hit = keyCache.get(ip)
  if (hit !== undefined) return hit
  let key = ip
  try {
    const a = ipaddr.parse(ip)
    if (a.kind() === 'ipv4') key = a.toString()
    else {
      const v6 = a as ipaddr.IPv6
      key = v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : `${v6.parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`
    }
  } catch {
    // not an address (a unix socket peer, a test's label): counted as given
  }
  if (keyCache.size > 10_000) keyCache.clear()
  keyCache.set(ip, key)
  return key
}
