/**
 * LISTEN/NOTIFY between instances on one PostgreSQL. A commit that queues a notification or
 * changes a transaction, SMS, delivery or payment intent sends `NOTIFY vcash_changes, '<kind>:<id>'` inside its
 * transaction (PostgreSQL delivers it only if and when the transaction commits); each server
 * listens on a connection of its own and so hears, at once, what any instance or CLI command
 * committed.
 *
 * A notification sent while the listening connection is down is lost: after every reconnect
 * the listener is told `resync`, and the outbox poll stays as the safety net.
 */
import pg from 'pg'

import type {LedgerChange} from './storage.js'

export const CHANGES_CHANNEL = 'vcash_changes'

const FIRST_RETRY_MS = 250
const MAX_RETRY_MS = 5000
/** A connection that died without a word (a network cut) is found by this query failing. */
const HEARTBEAT_MS = 30_000

/** What a batch says it changed, as NOTIFY payloads (`kind:id`, far below the 8,000-byte limit). */
export function changePayloads(b: {
  stores?: {id: string}[]
  sms?: {id: string; version: number}[]
  transactions?: {id: string}[]
  notifications?: {id: string; version: number; state: string; nextAttemptAt: string | null}[]
  intents?: {id: string}[]
}, now = Date.now()): string[] {
  const out: string[] = []
  // A store's settings or tokens changed: every instance drops its cached copy (Stores.find).
  for (const s of b.stores ?? []) out.push(`store:${s.id}`)
  for (const m of b.sms ?? []) if (m.version === 0) out.push(`sms:${m.id}`)
  for (const t of b.transactions ?? []) out.push(`transaction:${t.id}`)
  for (const n of b.notifications ?? []) {
    // New: `vcash listen` shows it and a dispatcher sends it. Due again now (`callbacks retry`,
    // a redelivery): a dispatcher sends it. Anything else is an attempt saved: the dashboard refreshes.
    const due = n.state === 'pending' && (n.nextAttemptAt === null || Date.parse(n.nextAttemptAt) <= now + 1000)
    out.push(`${n.version === 0 ? 'notification' : due ? 'retry' : 'delivery'}:${n.id}`)
  }
  // Created, cancelled or expired with no transfer in the batch: only this tells the other
  // instances' live dashboards (their checkout streams read the intent every second anyway).
  for (const i of b.intents ?? []) out.push(`intent:${i.id}`)
  return out
}

export function parseChange(payload: string): LedgerChange | null {
  const i = payload.indexOf(':')
  if (i <= 0) return null
  return {kind: payload.slice(0, i), id: payload.slice(i + 1)}
}

/** One LISTEN connection, reconnected (250 ms doubling to 5 s) whenever it fails. */
export class ChangeFeed {
  private client: pg.Client | null = null
  private stopped = false
  private retryMs = FIRST_RETRY_MS
  private retry: NodeJS.Timeout | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private connectedOnce = false
  /** LISTENing right now: what is committed from here on will be heard. */
  listening = false

  constructor(private readonly config: pg.ClientConfig, private readonly onChange: (c: LedgerChange) => void, private readonly onError: (e: unknown) => void = () => {}) {}

  /** Resolves once listening, or once the first try failed (it then keeps trying in the background). */
  async start(): Promise<void> {
    await this.connect()
    this.heartbeat = setInterval(() => {
      const c = this.client
      if (c) c.query('select 1').catch((error: unknown) => this.lost(c, error))
    }, HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.retry) clearTimeout(this.retry)
    if (this.heartbeat) clearInterval(this.heartbeat)
    const c = this.client
    this.client = null
    await c?.end().catch(() => {})
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    const c = new pg.Client(this.config)
    this.client = c
    c.on('notification', (m) => {
      if (m.channel !== CHANGES_CHANNEL || !m.payload) return
      const change = parseChange(m.payload)
      if (change) this.onChange(change)
    })
    c.on('error', (error) => this.lost(c, error))
    c.on('end', () => this.lost(c, new Error('the listening connection ended')))
    try {
      await c.connect()
      await c.query(`listen ${CHANGES_CHANNEL}`)
    } catch (error) {
      this.lost(c, error)
      return
    }
    if (this.client !== c) return
    this.listening = true
    this.retryMs = FIRST_RETRY_MS
    // Whatever was committed while we were not listening: look (the outbox, the pages) once now.
    if (this.connectedOnce) this.onChange({kind: 'resync', id: ''})
    this.connectedOnce = true
  }

  private lost(c: pg.Client, error: unknown): void {
    if (this.client !== c) return
    this.client = null
    this.listening = false
    c.removeAllListeners('end')
    c.on('error', () => {})
    void c.end().catch(() => {})
    if (this.stopped) return
    this.onError(error)
    this.connectedOnce = true
    this.retry = setTimeout(() => void this.connect(), this.retryMs)
    this.retry.unref()
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS)
  }
}
