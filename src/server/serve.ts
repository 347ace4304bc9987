import crypto from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import express from 'express'

import {EventEmitter} from 'node:events'

import {EXIT, VcashError} from '../core/errors.js'
import type {NotificationRecord, TransactionRecord} from '../core/model.js'
import {eventsRouter} from './routes/events.js'
import {Dispatcher, type DispatcherOptions} from '../notify/dispatcher.js'
import {type CreatedStore} from '../app/service.js'
import type {ImportReport} from '../storage/legacy-import.js'
import {type LocalVcash, openLocal} from '../app/runtime.js'
import {removeAdminInfo, writeAdminInfo} from '../io/admin-info.js'
import {createRequestHandler} from './app.js'
import {Metrics} from './metrics.js'

export interface ServeOptions {
  dataDir: string
  host: string
  port: number
  /** Development mode: the zero-setup store allows http://localhost callbacks. */
  dev: boolean
  trustProxy: string[]
  /** Sweep PENDING transfers past their match window this often. */
  expireEveryMs?: number
  now?: () => Date
  failedCheckLimit?: number
  /** Told once when this start imported a data dir of the previous engine. */
  onImport?: (r: ImportReport) => void
  /** How long a WHMCS store's check waits for WHMCS to confirm the credit (default 15 s). */
  creditWaitMs?: number
  /** Outbox delivery: retry schedule and poll interval (scaled down in tests). */
  dispatcher?: Pick<DispatcherOptions, 'scheduleMs' | 'pollMs' | 'timeoutMs' | 'breakerThreshold' | 'breakerCooldownMs'>
}

export class VcashServer {
  /** Set when this start created the zero-setup development store (secrets shown once). */
  devStore: CreatedStore | null = null
  url = ''
  private server: http.Server | null = null
  dispatcher!: Dispatcher
  private sweep: NodeJS.Timeout | null = null
  private closing: Promise<void> | null = null

  private constructor(readonly local: LocalVcash, readonly opts: ServeOptions) {}

  /** Development only: how far `POST /admin/dev/clock` has moved the server's clock (simulate's expiry steps). */
  clockOffsetMs = 0

  static async start(opts: ServeOptions): Promise<VcashServer> {
    const metricsHolder: {m?: Metrics} = {}
    const base = opts.now ?? (() => new Date())
    const holder: {srv?: VcashServer} = {}
    const now = () => new Date(base().getTime() + (holder.srv?.clockOffsetMs ?? 0))
    const local = await openLocal({
      dataDir: opts.dataDir, holder: 'server', now, onEvent: (e) => metricsHolder.m?.onEvent(e), failedCheckLimit: opts.failedCheckLimit, onImport: opts.onImport,
      awaitCredit: (tx, timeoutMs) => holder.srv?.awaitCredit(tx, timeoutMs) ?? Promise.resolve(false),
      creditWaitMs: opts.creditWaitMs,
    })
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
    const metrics = new Metrics(storage, {now: () => service.clock()})
    metricsHolder.m = metrics
    if ((await storage.listStores()).length === 0) {
      this.devStore = await service.createStore({name: 'Development store', callback: {kind: 'none'}, mode: 'development'})
    }
    const bus = new EventEmitter<{notification: [NotificationRecord]}>()
    bus.setMaxListeners(100)
    // The service's clock, so a simulated clock advance also moves delivery schedules.
    this.dispatcher = new Dispatcher({
      storage,
      now: () => service.clock(),
      devOverride: this.opts.dev,
      log: (line) => console.error(line),
      onFirstAttempt: (n) => bus.emit('notification', n),
      ...this.opts.dispatcher,
    })
    const wake = () => this.dispatcher.wake()
    const adminToken = crypto.randomBytes(32).toString('base64url')
    const handler = createRequestHandler({
      service,
      metrics,
      adminToken,
      trustProxy: this.opts.trustProxy,
      adminRouters: [eventsRouter(storage, {bus}), ...(this.opts.dev ? [this.devRouter()] : [])],
      onChange: wake,
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
    this.dispatcher.start()
    const every = this.opts.expireEveryMs ?? 30_000
    this.sweep = setInterval(() => {
      service.expireDue().then((n) => {
        if (n > 0) wake()
      }, (error: unknown) => console.error('vcash: expiry sweep failed:', error))
      this.sweepDevices().catch((error: unknown) => console.error('vcash: device sweep failed:', error))
    }, every)
    this.sweep.unref()
  }

  /** Devices silent past their store's limit go offline, returning ones online (contract §7); the outbox is woken for them. */
  async sweepDevices(): Promise<{offline: number; online: number}> {
    const r = await this.local.service.sweepDevices()
    for (const d of r.offline) console.error(`vcash: device ${d.name} of store ${d.storeId} is offline: last heard from at ${d.lastContactAt}`)
    for (const d of r.online) console.error(`vcash: device ${d.name} of store ${d.storeId} is back online`)
    if (r.offline.length + r.online.length > 0) this.dispatcher.wake()
    return {offline: r.offline.length, online: r.online.length}
  }

  /** A check of a WHMCS store waits here (bounded) until the dispatcher has WHMCS's confirmation. */
  async awaitCredit(tx: TransactionRecord, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs
    const id = `${tx.storeId}:${tx.id}`
    this.dispatcher?.wake()
    for (;;) {
      if ((await this.local.storage.getCredit(id))?.state === 'confirmed') return true
      if (Date.now() >= end || this.closing) return false
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  /** `vcash serve --dev` lets `vcash simulate` move the clock forward to test expiry. */
  private devRouter(): express.Router {
    const r = express.Router()
    r.post('/dev/clock', express.json(), async (req, res) => {
      const ms = Number((req.body as {advance_ms?: unknown})?.advance_ms)
      if (!Number.isSafeInteger(ms) || ms < 0 || ms > 366 * 24 * 3_600_000) throw new VcashError('invalid_input', 'advance_ms: a whole number of milliseconds, at most a year', {http: 400})
      this.clockOffsetMs += ms
      const expired = await this.local.service.expireDue()
      const devices = await this.sweepDevices()
      this.dispatcher.wake()
      res.json({status: true, offset_ms: this.clockOffsetMs, now: this.local.service.clock().toISOString(), expired, devices})
    })
    return r
  }

  /** Stop accepting, finish in-flight requests, stop workers, flush, release the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.sweep) clearInterval(this.sweep)
      const server = this.server
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        // In-flight requests get a grace period; idle keep-alive sockets must not hold us up.
        const grace = setTimeout(() => server.closeAllConnections(), 5000)
        await closed
        clearTimeout(grace)
      }
      await this.dispatcher?.stop().catch((error: unknown) => console.error('vcash: stopping the dispatcher failed:', error))
      removeAdminInfo(this.opts.dataDir)
      await this.local.close()
    })()
    return this.closing
  }
}
