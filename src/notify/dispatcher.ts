import crypto from 'node:crypto'
import os from 'node:os'

import type {CreditRecord, NotificationRecord, StoreRecord} from '../core/model.js'
import {ConflictError, type Storage} from '../storage/storage.js'
import {sendNotification, type SendResult} from './send.js'
import {findCredit, parseWhmcsClient, resolveClientByEmail, type WhmcsConfig} from './whmcs-api.js'
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
  concurrency?: number
  pollMs?: number
  breakerThreshold?: number
  breakerCooldownMs?: number
  lookup?: Lookup
  log?: (line: string) => void
  /** Called after each attempt. */
  onAttempt?: (n: NotificationRecord, r: SendResult) => void
  /** Called once an attempt's outcome is saved: what an operator's log line says about it. */
  onDelivery?: (d: DeliveryOutcome) => void
  /** Called once per notification, when its first delivery starts (vcash listen's stream). */
  onFirstAttempt?: (n: NotificationRecord) => void
  /**
   * On a storage shared by several instances (leaseDueNotifications): how long this instance
   * holds what it delivers. Longer than one delivery can take (a WHMCS credit is up to three requests).
   */
  leaseMs?: number
  /** This instance, as lease holder (default: host:pid:random). */
  leaseHolder?: string
}

export interface DeliveryOutcome {
  notification: string
  store: string
  event: string
  channel: string
  /** 1 for the first attempt. */
  attempt: number
  /** The merchant's HTTP status, or null when there was no answer (refused, timed out, unsafe URL). */
  status: number | null
  delivered: boolean
  error: string | null
  /** When the next attempt is due; null when delivered or given up. */
  nextAttemptAt: string | null
  gaveUp: boolean
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
  private readonly o: Required<Pick<DispatcherOptions, 'timeoutMs' | 'scheduleMs' | 'maxAgeMs' | 'concurrency' | 'pollMs' | 'breakerThreshold' | 'breakerCooldownMs'>>
  private timer: NodeJS.Timeout | null = null
  private running = false
  private rerun = false
  private stopped = false
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly inFlightOrigin = new Map<string, string>()
  private readonly breakers = new Map<string, Breaker>()
  private readonly holder: string

  constructor(private readonly opts: DispatcherOptions) {
    this.storage = opts.storage
    this.now = opts.now ?? (() => new Date())
    this.holder = opts.leaseHolder ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`
    this.o = {
      timeoutMs: opts.timeoutMs ?? 10_000,
      scheduleMs: opts.scheduleMs ?? DEFAULT_SCHEDULE_MS,
      maxAgeMs: opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
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
    let due: NotificationRecord[]
    if (this.storage.leaseDueNotifications) {
      // Lease only what this instance can start now: the rest stays for the others.
      const free = this.o.concurrency - this.inFlight.size
      if (free <= 0) return
      due = await this.storage.leaseDueNotifications(now, free, this.holder, this.opts.leaseMs ?? Math.max(120_000, 3 * this.o.timeoutMs + 30_000))
    } else {
      due = await this.storage.dueNotifications(now, 200)
    }
    // Never tell a merchant about a commit a power cut could still undo.
    if (due.length > 0) await this.storage.durable?.()
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
    let send = n
    let credit: CreditRecord | undefined
    if (n.channel === 'whmcs') {
      const prepared = await this.prepareCredit(n, store)
      if (!prepared) return
      ;({send, credit} = prepared)
    }
    if (n.attempts.length === 0) this.opts.onFirstAttempt?.(n)
    // A production store's guard (https, public addresses) holds whatever the server was started with.
    const r = await sendNotification(store, send, {production: store.mode === 'production', timeoutMs: this.o.timeoutMs, lookup: this.opts.lookup, now: this.now})
    this.opts.onAttempt?.(n, r)
    this.track(r)
    const cur = await this.storage.getNotification(id)
    if (!cur || cur.state !== 'pending') return
    const attempts = [...cur.attempts, r.attempt]
    const told = (nextAttemptAt: string | null, gaveUp: boolean) => this.opts.onDelivery?.({notification: n.id, store: n.storeId, event: n.event, channel: n.channel, attempt: attempts.length, status: r.attempt.status, delivered: r.delivered, error: r.attempt.error, nextAttemptAt, gaveUp})
    if (r.delivered) {
      const confirmed: CreditRecord[] = credit ? [{...credit, state: 'confirmed', at: r.attempt.at, whmcsResponse: r.whmcsResponse ?? null}] : []
      await this.save(cur, {state: 'delivered', attempts, nextAttemptAt: null, lastError: null}, confirmed)
      told(null, false)
      return
    }
    const failures = attempts.filter((a) => !a.replay).length
    const age = this.now().getTime() - Date.parse(cur.createdAt)
    const delay = this.o.scheduleMs[Math.min(failures, this.o.scheduleMs.length - 1)]!
    const giveUp = failures >= this.o.scheduleMs.length || age + delay > this.o.maxAgeMs
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4))
    if (r.configError) this.opts.log?.(`vcash: notification ${n.id} for store ${store.id}: ${r.attempt.error}`)
    const nextAttemptAt = giveUp ? null : new Date(this.now().getTime() + jittered).toISOString()
    await this.save(cur, {state: giveUp ? 'failed' : 'pending', attempts, lastError: r.attempt.error, nextAttemptAt})
    told(nextAttemptAt, giveUp)
  }

  /**
   * WHMCS has no idempotency key, so AddCredit is made at most once per transaction (contract
   * §5): the credit row is written before the request (state `sending`); when an earlier
   * attempt's outcome is unknown (a timeout, a crash mid-request), WHMCS is asked (GetCredits)
   * before anything is sent again. Answers what to send, or null when nothing is to be sent now.
   */
  private async prepareCredit(n: NotificationRecord, store: StoreRecord): Promise<{send: NotificationRecord; credit: CreditRecord} | null> {
    if (store.callback.kind !== 'whmcs') {
      await this.save(n, {state: 'failed', nextAttemptAt: null, lastError: 'the store no longer credits WHMCS; replay it after changing the store back'})
      return null
    }
    const cfg: WhmcsConfig = {url: store.callback.url, identifier: store.callback.identifier, secret: store.callback.secret}
    const existing = await this.storage.getCredit(creditId(n))
    if (existing && existing.state !== 'sending') {
      await this.save(n, {state: 'delivered', nextAttemptAt: null, lastError: null})
      return null
    }
    const retryLater = (why: string) => this.save(n, {lastError: why, nextAttemptAt: new Date(this.now().getTime() + this.o.scheduleMs[Math.min(1 + n.attempts.length, this.o.scheduleMs.length - 1)]!).toISOString()})
    const giveUp = (why: string) => {
      this.opts.log?.(`vcash: notification ${n.id} for store ${store.id}: ${why}`)
      return this.save(n, {state: 'failed', nextAttemptAt: null, lastError: why})
    }
    // Which client: the module's releases name it three ways (contract §1, §3).
    const tx = await this.storage.getTransaction(n.transactionId)
    const ref = parseWhmcsClient(tx?.userName ?? null, tx?.clientId ?? (typeof n.payload.clientid === 'string' && /^\d+$/.test(n.payload.clientid) ? n.payload.clientid : null))
    let clientId: string
    if (ref.kind === 'id') clientId = ref.clientId
    else if (ref.kind === 'email') {
      const found = await resolveClientByEmail(cfg, ref.email, {timeoutMs: this.o.timeoutMs})
      if (found.kind === 'found') clientId = found.clientId
      else if (found.kind === 'unknown' && !found.configError) {
        await retryLater(`looking up the WHMCS client by e-mail: ${found.message}`)
        return null
      } else {
        await giveUp(found.kind === 'unknown' ? found.message : `WHMCS has ${found.kind === 'absent' ? 'no client' : 'several clients'} with the e-mail in "${tx?.userName ?? ''}"; credit by hand, or match the transfer to a client id (vcash tx match)`)
        return null
      }
    } else {
      await giveUp(`the check named no WHMCS client (${ref.reason}); credit by hand, or match the transfer to a client id (vcash tx match)`)
      return null
    }
    const description = String(n.payload.description ?? '')
    if (existing?.state === 'sending') {
      const seen = await findCredit(cfg, {clientId: existing.clientId || clientId, description}, {timeoutMs: this.o.timeoutMs})
      if (seen.kind === 'found') {
        await this.save(n, {state: 'delivered', nextAttemptAt: null, lastError: null}, [{...existing, state: 'confirmed', at: this.now().toISOString(), whmcsResponse: 'found by GetCredits after an attempt whose outcome was unknown'}])
        return null
      }
      if (seen.kind === 'unknown') {
        await retryLater(`an earlier AddCredit's outcome is unknown and WHMCS could not be asked: ${seen.message}`)
        return null
      }
    }
    const sending: CreditRecord = {...(existing ?? {version: 0}), id: creditId(n), storeId: n.storeId, transactionId: n.transactionId, clientId, amount: String(n.payload.amount ?? ''), at: this.now().toISOString(), whmcsResponse: null, state: 'sending'}
    try {
      await this.storage.commit({credits: [sending]})
    } catch (error) {
      if (error instanceof ConflictError) return null // another worker (or instance) is on it
      throw error
    }
    return {send: {...n, payload: {...n.payload, clientid: clientId}}, credit: sending}
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
