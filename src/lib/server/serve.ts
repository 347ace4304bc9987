import crypto from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import express from 'express'

import {EXIT, VcashError} from '../errors.js'
import {type CreatedStore} from '../service.js'
import {type LocalVcash, openLocal, removeAdminInfo, writeAdminInfo} from '../runtime.js'
import {createRequestHandler} from './app.js'
import {Metrics} from './metrics.js'

/** Something that runs alongside the server: the notification dispatcher, for example. */
export interface ServerExtension {
  routers?: express.Router[]
  adminRouters?: express.Router[]
  start?(ctx: {local: LocalVcash; dev: boolean}): void | Promise<void>
  /** Called after a state change, to wake workers instead of waiting for their next poll. */
  wake?(): void
  stop?(): Promise<void>
}

export type ServerExtensionFactory = (local: LocalVcash, opts: {dev: boolean}) => ServerExtension

const factories: ServerExtensionFactory[] = []

/** Modules (notifications, forwarders) register here so `serve` needs no knowledge of them. */
export function registerServerExtension(f: ServerExtensionFactory): void {
  factories.push(f)
}

export interface ServeOptions {
  dataDir: string
  host: string
  port: number
  /** Development mode: the zero-setup store allows http://localhost callbacks. */
  dev: boolean
  trustProxy: string[]
  /** Sweep PENDING transfers past their match window this often. */
  expireEveryMs?: number
  /** Checkpoint (fold the journal, archive settled history) this often. */
  checkpointEveryMs?: number
  now?: () => Date
  failedCheckLimit?: number
}

export class VcashServer {
  /** Set when this start created the zero-setup development store (secrets shown once). */
  devStore: CreatedStore | null = null
  url = ''
  private server: http.Server | null = null
  private extensions: ServerExtension[] = []
  private sweep: NodeJS.Timeout | null = null
  private fold: NodeJS.Timeout | null = null
  private closing: Promise<void> | null = null

  private constructor(readonly local: LocalVcash, readonly opts: ServeOptions) {}

  /** Development only: how far `POST /admin/dev/clock` has moved the server's clock (simulate's expiry steps). */
  clockOffsetMs = 0

  static async start(opts: ServeOptions): Promise<VcashServer> {
    const metricsHolder: {m?: Metrics} = {}
    const base = opts.now ?? (() => new Date())
    const holder: {srv?: VcashServer} = {}
    const now = () => new Date(base().getTime() + (holder.srv?.clockOffsetMs ?? 0))
    const local = await openLocal({dataDir: opts.dataDir, holder: 'server', now, onEvent: (e) => metricsHolder.m?.onEvent(e), failedCheckLimit: opts.failedCheckLimit})
    const srv = new VcashServer(local, opts)
    holder.srv = srv
    try {
      await srv.listen(metricsHolder)
    } catch (error) {
      await srv.close()
      throw error
    }
    return srv
  }

  private async listen(metricsHolder: {m?: Metrics}): Promise<void> {
    const {service, storage} = this.local
    const metrics = new Metrics(storage)
    metricsHolder.m = metrics
    if (storage.listStores().length === 0) {
      this.devStore = await service.createStore({name: 'Development store', callback: {kind: 'none'}, mode: 'development'})
    }
    this.extensions = factories.map((f) => f(this.local, {dev: this.opts.dev}))
    const adminToken = crypto.randomBytes(32).toString('base64url')
    const handler = createRequestHandler({
      service,
      metrics,
      adminToken,
      trustProxy: this.opts.trustProxy,
      routers: this.extensions.flatMap((e) => e.routers ?? []),
      adminRouters: [...this.extensions.flatMap((e) => e.adminRouters ?? []), ...(this.opts.dev ? [this.devRouter()] : [])],
      onChange: () => {
        for (const e of this.extensions) e.wake?.()
      },
    })
    const server = http.createServer({keepAliveTimeout: 5000, requestTimeout: 60_000, headersTimeout: 30_000}, handler)
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'EADDRINUSE'
          ? new VcashError('port_in_use', `port ${this.opts.port} on ${this.opts.host} is already in use`, {exit: EXIT.unavailable, suggestion: 'Pass another --port (or 0 for any free port), or stop what is listening there.'})
          : error)
      })
      server.listen(this.opts.port, this.opts.host, () => resolve())
    })
    const addr = server.address() as AddressInfo
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    const loopbackHost = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : host
    this.url = `http://${loopbackHost}:${addr.port}`
    writeAdminInfo(this.opts.dataDir, {url: this.url, token: adminToken, pid: process.pid})
    for (const e of this.extensions) await e.start?.({local: this.local, dev: this.opts.dev})
    const every = this.opts.expireEveryMs ?? 30_000
    this.sweep = setInterval(() => {
      service.expireDue().then((n) => {
        if (n > 0) for (const e of this.extensions) e.wake?.()
      }, (error: unknown) => console.error('vcash: expiry sweep failed:', error))
    }, every)
    this.sweep.unref()
    // Fold the journal into db.json and move settled history to the archive regularly, so a
    // server that runs for months keeps a small snapshot and memory (not only at restarts).
    let folding = false
    this.fold = setInterval(() => {
      if (folding) return
      folding = true
      this.local.storage.checkpoint().catch((error: unknown) => console.error('vcash: checkpoint failed:', error)).finally(() => {
        folding = false
      })
    }, this.opts.checkpointEveryMs ?? 3_600_000)
    this.fold.unref()
  }

  /** `vcash serve --dev` lets `vcash simulate` move the clock forward to test expiry. */
  private devRouter(): express.Router {
    const r = express.Router()
    r.post('/dev/clock', express.json(), async (req, res) => {
      const ms = Number((req.body as {advance_ms?: unknown})?.advance_ms)
      if (!Number.isSafeInteger(ms) || ms < 0 || ms > 366 * 24 * 3_600_000) throw new VcashError('invalid_input', 'advance_ms: a whole number of milliseconds, at most a year', {http: 400})
      this.clockOffsetMs += ms
      const expired = await this.local.service.expireDue()
      for (const e of this.extensions) e.wake?.()
      res.json({status: true, offset_ms: this.clockOffsetMs, now: this.local.service.clock().toISOString(), expired})
    })
    return r
  }

  /** Stop accepting, finish in-flight requests, stop workers, flush, release the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.sweep) clearInterval(this.sweep)
      if (this.fold) clearInterval(this.fold)
      const server = this.server
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        // In-flight requests get a grace period; idle keep-alive sockets must not hold us up.
        const grace = setTimeout(() => server.closeAllConnections(), 5000)
        await closed
        clearTimeout(grace)
      }
      for (const e of this.extensions) await e.stop?.().catch((error: unknown) => console.error('vcash: stopping an extension failed:', error))
      removeAdminInfo(this.opts.dataDir)
      await this.local.close()
    })()
    return this.closing
  }
}
