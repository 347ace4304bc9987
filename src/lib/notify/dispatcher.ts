import type {CreditRecord, NotificationRecord, StoreRecord} from '../model.js'
import {ConflictError, type Storage} from '../storage/storage.js'
import {sendNotification, type SendResult} from './send.js'
import type {Lookup} from './url-guard.js'

/** In the spirit of Standard Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_SCHEDULE_MS = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000]
/** Give up on a notification this old (the merchant can still `callbacks retry --failed`). */
export const DEFAULT_MAX_AGE_MS = 3 * 24 * 3_600_000

export interface DispatcherOptions {
  storage: Storage
  now?: () => Date
  timeoutMs?: number
  /** Delay before attempt k+1 after k failures; scaled down in tests. */
  scheduleMs?: number[]
  maxAgeMs?: number
  /** Development: allow http://localhost for every store (`vcash serve --dev`). */
  devOverride?: boolean
  concurrency?: number
  pollMs?: number
  breakerThreshold?: number
  breakerCooldownMs?: number
  lookup?: Lookup
  log?: (line: string) => void
  /** Called after each attempt. */
  onAttempt?: (n: NotificationRecord, r: SendResult) => void
  /** Called once per notification, when its first delivery starts (vcash listen's stream). */
  onFirstAttempt?: (n: NotificationRecord) => void
}

interface Breaker {
  failures: number
  openUntil: number
}

export function creditId(n: {storeId: string; transactionId: string}): string {
  return `${n.storeId}:${n.transactionId}`
}

/**
 * Delivers the outbox: at-least-once, in the background, across restarts (the outbox is in
 * storage). One per-origin circuit breaker keeps a dead merchant site from holding up the others.
 */
export class Dispatcher {
  private readonly storage: Storage
  private readonly now: () => Date
  private readonly o: Required<Pick<DispatcherOptions, 'timeoutMs' | 'scheduleMs' | 'maxAgeMs' | 'devOverride' | 'concurrency' | 'pollMs' | 'breakerThreshold' | 'breakerCooldownMs'>>
  private timer: NodeJS.Timeout | null = null
  private running = false
  private rerun = false
  private stopped = false
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly inFlightOrigin = new Map<string, string>()
  private readonly breakers = new Map<string, Breaker>()

  constructor(private readonly opts: DispatcherOptions) {
    this.storage = opts.storage
    this.now = opts.now ?? (() => new Date())
    this.o = {
      timeoutMs: opts.timeoutMs ?? 10_000,
      scheduleMs: opts.scheduleMs ?? DEFAULT_SCHEDULE_MS,
      maxAgeMs: opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      devOverride: opts.devOverride ?? false,
      concurrency: opts.concurrency ?? 8,
      pollMs: opts.pollMs ?? 1000,
      breakerThreshold: opts.breakerThreshold ?? 5,
      breakerCooldownMs: opts.breakerCooldownMs ?? 60_000,
    }
  }

  start(): void {
    this.stopped = false
    this.timer = setInterval(() => this.wake(), this.o.pollMs)
    this.timer.unref()
    this.wake()
  }

  /** Look at the outbox now (a change just queued something). */
  wake(): void {
    if (this.stopped) return
    if (this.running) {
      this.rerun = true
      return
    }
    this.running = true
    void this.tick().finally(() => {
      this.running = false
      if (this.rerun) {
        this.rerun = false
        this.wake()
      }
    })
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await Promise.allSettled([...this.inFlight.values()])
  }

  /** Wait until nothing is in flight (tests, scenario runs). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.running) await new Promise((r) => setTimeout(r, 10))
  }

  private async tick(): Promise<void> {
    const now = this.now()
    const due = await this.storage.dueNotifications(now, 200)
    const stores = new Map<string, StoreRecord | undefined>()
    const storeOf = async (id: string) => {
      if (!stores.has(id)) stores.set(id, await this.storage.getStore(id))
      return stores.get(id)
    }
    for (const n of due) {
      if (this.inFlight.size >= this.o.concurrency) break
      if (this.inFlight.has(n.id)) continue
      const store = await storeOf(n.storeId)
      const origin = store ? originOf(store) : ''
      const b = this.breakers.get(origin)
      if (b && b.openUntil > now.getTime()) continue
      if (b && b.failures >= this.o.breakerThreshold) {
        // Half-open: one probe at a time.
        if ([...this.inFlightOrigin.values()].includes(origin)) continue
      }
      const p = this.deliver(n.id).catch((error: unknown) => this.opts.log?.(`vcash: delivery of ${n.id} failed unexpectedly: ${(error as Error).message}`)).finally(() => {
        this.inFlight.delete(n.id)
        this.inFlightOrigin.delete(n.id)
      })
      this.inFlight.set(n.id, p)
      this.inFlightOrigin.set(n.id, origin)
    }
  }

  private async deliver(id: string): Promise<void> {
    const n = await this.storage.getNotification(id)
    if (!n || n.state !== 'pending') return
    const store = await this.storage.getStore(n.storeId)
    if (!store) {
      await this.save(n, {state: 'failed', lastError: 'the store no longer exists', nextAttemptAt: null})
      return
    }
    // WHMCS has no idempotency key: our ledger says whether this transaction was credited.
    if (n.channel === 'whmcs' && (await this.storage.getCredit(creditId(n)))) {
      await this.save(n, {state: 'delivered', nextAttemptAt: null, lastError: null})
      return
    }
    if (n.attempts.length === 0) this.opts.onFirstAttempt?.(n)
    const r = await sendNotification(store, n, {production: store.mode === 'production' && !this.o.devOverride, timeoutMs: this.o.timeoutMs, lookup: this.opts.lookup, now: this.now})
    this.opts.onAttempt?.(n, r)
    this.track(r)
    const cur = await this.storage.getNotification(id)
    if (!cur || cur.state !== 'pending') return
    const attempts = [...cur.attempts, r.attempt]
    if (r.delivered) {
      const credit: CreditRecord[] = n.channel === 'whmcs'
        ? [{id: creditId(n), storeId: n.storeId, transactionId: n.transactionId, clientId: String(n.payload.clientid ?? ''), amount: String(n.payload.amount ?? ''), at: r.attempt.at, whmcsResponse: r.whmcsResponse ?? null, version: 0}]
        : []
      await this.save(cur, {state: 'delivered', attempts, nextAttemptAt: null, lastError: null}, credit)
      return
    }
    const failures = attempts.filter((a) => !a.replay).length
    const age = this.now().getTime() - Date.parse(cur.createdAt)
    const delay = this.o.scheduleMs[Math.min(failures, this.o.scheduleMs.length - 1)]!
    const giveUp = failures >= this.o.scheduleMs.length || age + delay > this.o.maxAgeMs
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4))
    if (r.configError) this.opts.log?.(`vcash: notification ${n.id} for store ${store.id}: ${r.attempt.error}`)
    await this.save(cur, {
      state: giveUp ? 'failed' : 'pending',
      attempts,
      lastError: r.attempt.error,
      nextAttemptAt: giveUp ? null : new Date(this.now().getTime() + jittered).toISOString(),
    })
  }

  private track(r: SendResult): void {
    const b = this.breakers.get(r.origin) ?? {failures: 0, openUntil: 0}
    if (r.delivered) {
      this.breakers.delete(r.origin)
      return
    }
    b.failures++
    if (b.failures >= this.o.breakerThreshold) b.openUntil = this.now().getTime() + this.o.breakerCooldownMs
    this.breakers.set(r.origin, b)
  }

  /** Is the breaker for this origin open right now? */
  breakerOpen(origin: string): boolean {
    return (this.breakers.get(origin)?.openUntil ?? 0) > this.now().getTime()
  }

  private async save(n: NotificationRecord, patch: Partial<NotificationRecord>, credits: CreditRecord[] = []): Promise<void> {
    try {
      await this.storage.commit({notifications: [{...n, ...patch}], credits})
    } catch (error) {
      // A replay or retry changed it meanwhile: its own write wins, the next tick re-reads.
      if (!(error instanceof ConflictError)) throw error
    }
  }
}

export function originOf(store: StoreRecord | undefined): string {
  if (!store || store.callback.kind === 'none') return ''
  try {
    return new URL(store.callback.url).origin
  } catch {
    return ''
  }
}
