import {EventEmitter} from 'node:events'

import {SmeeClient} from 'smee-client'

import {VcashError} from '../core/errors.js'
import type {AdminInfo} from '../io/admin-info.js'
import type {WireEvent} from '../core/wire.js'

export type {WireEvent} from '../core/wire.js'

/** A notification as the server would send it: the exact request. */

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
export class Listener extends EventEmitter<{forwarded: [Forwarded, WireEvent]; error: [Error]; ready: []}> {
  private abort = new AbortController()
  private smee: SmeeClient | null = null

  constructor(private readonly opts: {forwardTo: string; storeId?: string}) {
    super()
  }

  /** Follow the running server's `/admin/events` stream until stopped. */
  async fromServer(admin: AdminInfo): Promise<void> {
    const q = this.opts.storeId ? `?store_id=${encodeURIComponent(this.opts.storeId)}` : ''
    let res: Response
    try {
      res = await fetch(`${admin.url}/admin/events${q}`, {headers: {authorization: `Bearer ${admin.token}`, accept: 'text/event-stream'}, signal: this.abort.signal})
    } catch (error) {
      if (this.abort.signal.aborted) return
      throw new VcashError('server_unreachable', `cannot reach the vcash server at ${admin.url}: ${(error as Error).message}`, {exit: 69})
    }
    if (!res.ok || !res.body) throw new VcashError('server_error', `the server refused the event stream (${res.status})`, {exit: 69})
    this.emit('ready')
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk as Uint8Array, {stream: true})
        let i: number
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
          if (data) await this.forward(JSON.parse(data) as WireEvent)
        }
      }
    } catch (error) {
      if (!this.abort.signal.aborted) throw error
    }
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
