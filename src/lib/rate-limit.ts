/**
 * Sliding-window counters kept in memory. Failed checks are limited per store and client
 * address so nobody can enumerate phone numbers to claim other people's transfers; losing
 * the counters on restart only resets the window.
 */
export class WindowCounter {
  private hits = new Map<string, number[]>()

  constructor(private readonly windowMs: number, private readonly maxKeys = 100_000) {}

  add(key: string, now: number): number {
    const list = this.recent(key, now)
    list.push(now)
    this.hits.set(key, list)
    if (this.hits.size > this.maxKeys) this.prune(now)
    return list.length
  }

  count(key: string, now: number): number {
    return this.recent(key, now).length
  }

  /** Seconds until the oldest hit leaves the window. */
  retryAfter(key: string, now: number): number {
    const oldest = this.recent(key, now)[0]
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000))
  }

  clear(key: string): void {
    this.hits.delete(key)
  }

  private recent(key: string, now: number): number[] {
    const list = this.hits.get(key)
    if (!list) return []
    const from = now - this.windowMs
    let i = 0
    while (i < list.length && list[i]! <= from) i++
    if (i > 0) list.splice(0, i)
    if (list.length === 0) this.hits.delete(key)
    return list
  }

  private prune(now: number): void {
    for (const key of [...this.hits.keys()]) this.recent(key, now)
  }
}
