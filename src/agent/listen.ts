import {EventEmitter} from 'node:events'

import {EventSource, type FetchLike} from 'eventsource'
import {SmeeClient} from 'smee-client'

import {VcashError} from '../core/errors.js'
import type {AdminInfo} from '../io/admin-info.js'
import type {WireEvent} from '../core/wire.js'

export type {WireEvent} from '../core/wire.js'

/** A notification as the server would send it: the exact request. */

/** The event stream dropped (server restarting or gone): the next attempt is in `retryInMs`. */
export interface Lost {
  reason: string
  retryInMs: number
  /** 1 for the first retry after a drop, 2 for the next… */
  attempt: number
}

export interface Forwarded {
  id: string
  event: string
  status: number | null
  error: string | null
  durationMs: number
}

/**
 * `vcash listen`: forward the store's notifications to a local URL as they happen (like
 * Stripe CLI's listen). Either from the local server's admin event stream, or from a smee
 * channel a deployed vcash delivers to.
 */
export class Listener extends EventEmitter<{forwarded: [Forwarded, WireEvent]; error: [Error]; ready: []; lost: [Lost]; reconnected: [string]}> {
  private abort = new AbortController()
  private smee: SmeeClient | null = null
  private queue: Promise<void> = Promise.resolve()
  private readonly retry: {initialMs: number; maxMs: number}

  constructor(private readonly opts: {forwardTo: string; storeId?: string; retry?: {initialMs?: number; maxMs?: number}}) {
    super()
    this.retry = {initialMs: opts.retry?.initialMs ?? 1000, maxMs: opts.retry?.maxMs ?? 10_000}
  }

  /**
   * Follow the running server's `/admin/events` stream until stopped, across restarts: when the
   * stream drops, wait (1 s, 2 s, 4 s … at most 10 s), find the server again (`locate` re-reads
   * the data dir's admin info: a restarted server has a new admin token and maybe a new port)
   * and resume, sending Last-Event-ID. Only the very first connection failing is an error.
   */
  async fromServer(locate: () => AdminInfo | null): Promise<void> {
    let connected = false
    let failures = 0
    let lastEventId: string | null = null
    while (!this.abort.signal.aborted) {
      const r = await this.followOnce(locate, lastEventId, () => {
        if (!connected) this.emit('ready')
        else if (failures > 0) this.emit('reconnected', locate()?.url ?? '')
        connected = true
        failures = 0
      })
      lastEventId = r.lastEventId ?? lastEventId
      if (this.abort.signal.aborted) return
      if (!connected) throw new VcashError('server_unreachable', `cannot follow the vcash server's events: ${r.reason}`, {exit: 69, suggestion: 'Check that `vcash serve` runs on the same --data-dir.'})
      const retryInMs = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** failures)
      failures++
      this.emit('lost', {reason: r.reason, retryInMs, attempt: failures})
      await this.sleep(retryInMs)
    }
  }

  /** One connection of the event stream, until it drops; resolves with why. */
  private followOnce(locate: () => AdminInfo | null, lastEventId: string | null, onOpen: () => void): Promise<{reason: string; lastEventId: string | null}> {
    const q = this.opts.storeId ? `?store_id=${encodeURIComponent(this.opts.storeId)}` : ''
    return new Promise((resolve) => {
      const fetchEvents: FetchLike = async (_url, init) => {
        const admin = locate()
        if (!admin) throw new Error('the server is not running')
        return fetch(`${admin.url}/admin/events${q}`, {...init, headers: {...init.headers, authorization: `Bearer ${admin.token}`, ...(lastEventId ? {'last-event-id': lastEventId} : {})}})
      }
      // The URL is a placeholder: fetchEvents finds the server on every (re)connection.
      const es = new EventSource('http://vcash.invalid/admin/events', {fetch: fetchEvents})
      let seen = lastEventId
      const done = (reason: string) => {
        es.close()
        this.abort.signal.removeEventListener('abort', onAbort)
        resolve({reason, lastEventId: seen})
      }
      const onAbort = () => done('stopped')
      this.abort.signal.addEventListener('abort', onAbort)
      es.addEventListener('open', onOpen)
      es.addEventListener('message', (m: MessageEvent<string>) => {
        if (m.lastEventId) seen = m.lastEventId
        let e: WireEvent
        try {
          e = JSON.parse(m.data) as WireEvent
        } catch {
          this.emit('error', new Error('the server sent an event that is not JSON; skipped'))
          return
        }
        // In order, one at a time, as the server sent them.
        this.queue = this.queue.then(() => this.forward(e))
      })
      // eventsource would retry by itself at a fixed interval; backoff and the messages are ours.
      es.addEventListener('error', (ev: Event & {message?: string; code?: number}) => done(ev.message ?? (ev.code ? `HTTP ${ev.code}` : 'connection lost')))
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      const signal = this.abort.signal
      function done() {
        clearTimeout(t)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done)
    })
  }

  /** Pull events a deployed vcash posted to a smee channel, unwrap the exact bytes, forward. */
  async fromSmee(source: string): Promise<void> {
    const target = this.opts.forwardTo
    const quiet = {info: () => {}, error: (...a: unknown[]) => this.emit('error', new Error(a.map(String).join(' ')))}
    const smeeFetch = async (url: string | URL, init: RequestInit & {dispatcher?: unknown} = {}) => {
      const {dispatcher: _d, ...rest} = init
      if (rest.method !== 'POST') return fetch(url, rest)
      // smee calls this to forward: take over, with the original bytes and signature headers.
      const headers = Object.fromEntries(Object.entries((rest.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), String(v)]))
      let body = typeof rest.body === 'string' ? rest.body : ''
      try {
        const parsed = JSON.parse(body) as {vcash_relay?: number; body?: string}
        if (parsed.vcash_relay === 1 && typeof parsed.body === 'string') body = parsed.body
      } catch {
        // not ours: forward as smee gave it
      }
      const wire: WireEvent = {
        id: headers['webhook-id'] ?? '',
        event: eventType(body),
        channel: 'webhook',
        transaction_id: '',
        method: 'POST',
        query: null,
        headers: pick(headers, ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent']),
        body,
      }
      await this.forward(wire, String(url) === target ? undefined : String(url))
      return new Response('ok')
    }
    this.smee = new SmeeClient({source, target, logger: quiet, fetch: smeeFetch, queryForwarding: false})
    await this.smee.start()
    this.emit('ready')
    await new Promise<void>((resolve) => this.abort.signal.addEventListener('abort', () => resolve()))
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.smee?.stop()
    await this.queue
  }

  private async forward(e: WireEvent, to?: string): Promise<void> {
    const base = to ?? this.opts.forwardTo
    const url = e.query ? `${base}${base.includes('?') ? '&' : '?'}${e.query}` : base
    const t0 = Date.now()
    try {
      const res = await fetch(url, {method: e.method, headers: e.headers, body: e.body ?? undefined, signal: AbortSignal.timeout(10_000)})
      await res.arrayBuffer()
      this.emit('forwarded', {id: e.id, event: e.event, status: res.status, error: null, durationMs: Date.now() - t0}, e)
    } catch (error) {
      this.emit('forwarded', {id: e.id, event: e.event, status: null, error: (error as Error).message, durationMs: Date.now() - t0}, e)
    }
  }
}

function eventType(body: string): string {
  try {
    return String((JSON.parse(body) as {type?: string}).type ?? 'unknown')
  } catch {
    return 'unknown'
  }
}

function pick(h: Record<string, string>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of keys) if (h[k] !== undefined) out[k] = h[k]
  return out
}
