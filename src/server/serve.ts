import crypto from 'node:crypto'
import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

import express from 'express'

import {EventEmitter} from 'node:events'

import {EXIT, VcashError} from '../core/errors.js'
import type {NotificationRecord, TransactionRecord} from '../core/model.js'
import {eventsRouter} from './routes/events.js'
import {Dispatcher, type DispatcherOptions} from '../notify/dispatcher.js'
import {type CreatedStore, type ServiceEvent} from '../app/service.js'
import type {ImportReport} from '../storage/legacy-import.js'
import type {LedgerChange} from '../storage/storage.js'
import {type LocalVcash, openLocal} from '../app/runtime.js'
import {removeAdminInfo, writeAdminInfo} from '../io/admin-info.js'
import {createRequestHandler} from './app.js'
import {type Logger, silentLogger} from './log.js'
import {Metrics} from './metrics.js'
import type {DashboardMode} from './routes/dashboard-access.js'

/**
 * What one server holds open, chosen for a default `ulimit -n` of 1,024: 800 client sockets
 * leave room for the ledger, the outbox's deliveries and the event streams. A client gets 10 s
 * to send its headers and 30 s for the whole request; a keep-alive socket is closed after 5 s
 * without a request and any socket after 30 s without a byte either way.
 */
export interface ConnectionLimits {
  maxConnections: number
  headersTimeoutMs: number
  requestTimeoutMs: number
  keepAliveTimeoutMs: number
  idleTimeoutMs: number
}

export const DEFAULT_LIMITS: ConnectionLimits = {maxConnections: 800, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, idleTimeoutMs: 30_000}

export interface ServeOptions {
  dataDir: string
  /** `postgres://…`: the ledger on PostgreSQL, shared with other instances (no data dir lock). */
  databaseUrl?: string
  /** With databaseUrl: how long this instance holds a notification it delivers. */
  outboxLeaseMs?: number
  host: string
  port: number
  /** Development mode: the zero-setup store allows http://localhost callbacks. */
  dev: boolean
  /** Proxies whose X-Forwarded-For is believed: a list, or one comma-separated string (the env form). */
  trustProxy: string | string[]
  /** Lets a scraper that is not a direct loopback peer read /metrics (Authorization: Bearer). */
  metricsToken?: string | null
  limits?: Partial<ConnectionLimits>
  /** Where request, SMS, check and delivery lines go (default: nowhere). */
  log?: Logger
  /**
   * Create the zero-setup development store on an empty data dir (default: yes, for in-process
   * callers). `vcash serve` decides: only with --dev or on a terminal, never on a production
   * server, whose output (and so the store's secrets) would go to a journal.
   */
  devStore?: boolean
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
  /** Where the operator's dashboard answers (default: loopback only). */
  dashboard?: DashboardMode
}

export class VcashServer {
  /** Set when this start created the zero-setup development store (secrets shown once). */
  devStore: CreatedStore | null = null
  url = ''
  private server: http.Server | null = null
  dispatcher!: Dispatcher
  private sweep: NodeJS.Timeout | null = null
  private closing: Promise<void> | null = null
  private unwatch: (() => Promise<void>) | null = null
  /** Kinds heard from other instances, told to the live pages together (see heard()). */
  private readonly heardKinds = new Set<string>()
  private heardTimer: NodeJS.Timeout | null = null
  /** What the dashboard's live pages listen to: an SMS, a claim, a decision, a delivery attempt. */
  readonly live = new EventEmitter<{change: [string]}>()

  private readonly log: Logger

  private constructor(readonly local: LocalVcash, readonly opts: ServeOptions) {
    this.log = opts.log ?? silentLogger()
  }

  /** Where the ledger is, for messages (never a password). */
  get databaseWhere(): string {
    const s = this.local.storage as {where?: string}
    return s.where ?? this.opts.dataDir
  }

  /** Development only: how far `POST /admin/dev/clock` has moved the server's clock (simulate's expiry steps). */
  clockOffsetMs = 0

  static async start(opts: ServeOptions): Promise<VcashServer> {
    const metricsHolder: {m?: Metrics} = {}
    const base = opts.now ?? (() => new Date())
    const holder: {srv?: VcashServer} = {}
    const onEvent = (e: ServiceEvent) => {
      metricsHolder.m?.onEvent(e)
      holder.srv?.live.emit('change', e.type)
    }
    const now = () => new Date(base().getTime() + (holder.srv?.clockOffsetMs ?? 0))
    const local = await openLocal({
      dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, holder: 'server', now, onEvent, failedCheckLimit: opts.failedCheckLimit, onImport: opts.onImport,
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
    if ((this.opts.devStore ?? true) && (await storage.listStores()).length === 0) {
      this.devStore = await service.createStore({name: 'Development store', callback: {kind: 'none'}, mode: 'development'})
    }
    const bus = new EventEmitter<{notification: [NotificationRecord]}>()
    bus.setMaxListeners(100)
    this.live.setMaxListeners(100)
    // The service's clock, so a simulated clock advance also moves delivery schedules.
    this.dispatcher = new Dispatcher({
      storage,
      now: () => service.clock(),
      log: (line) => this.log.warn(line.replace(/^vcash: /, '')),
      onDelivery: (d) => this.log.info({notification: d.notification, store: d.store, event: d.event, channel: d.channel, attempt: d.attempt, status: d.status ?? undefined, delivered: d.delivered, error: d.error ?? undefined, next_attempt_at: d.nextAttemptAt ?? undefined, gave_up: d.gaveUp || undefined}, 'delivery'),
      // Instances that hear the shared database's changes hear every queued notification there
      // (heard()), this one's included; said here too, it would be said twice.
      onFirstAttempt: (n) => {
        if (!this.unwatch) bus.emit('notification', n)
      },
      leaseMs: this.opts.outboxLeaseMs,
      // After the attempt is saved: the page that refetches then shows it.
      onAttempt: () => setTimeout(() => this.live.emit('change', 'delivery'), 50).unref(),
      ...this.opts.dispatcher,
    })
    const wake = () => this.dispatcher.wake()
    if (storage.watchChanges) {
      this.unwatch = await storage.watchChanges((c) => this.heard(c, bus), (error) => this.log.warn({err: error}, 'listening for other instances\' changes failed; reconnecting'))
    }
    const adminToken = crypto.randomBytes(32).toString('base64url')
    const handler = createRequestHandler({
      service,
      metrics,
      adminToken,
      trustProxy: this.opts.trustProxy,
      metricsToken: this.opts.metricsToken ?? null,
      log: this.log,
      adminRouters: [eventsRouter(storage, {bus}), ...(this.opts.dev ? [this.devRouter()] : [])],
      onChange: wake,
      dashboard: {mode: this.opts.dashboard ?? 'loopback', live: this.live, devOverride: this.opts.dev},
    })
    const limits = {...DEFAULT_LIMITS, ...this.opts.limits}
    const server = http.createServer({
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // How often the header/request deadlines are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    }, handler)
    // Any socket silent this long both ways is closed (an SSE stream pings every 15 s).
    server.timeout = limits.idleTimeoutMs
    limitConnections(server, limits.maxConnections, this.log)
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
      }, (error: unknown) => this.log.error({err: error}, 'expiry sweep failed'))
      this.sweepDevices().catch((error: unknown) => this.log.error({err: error}, 'device sweep failed'))
    }, every)
    this.sweep.unref()
  }

  /** Devices silent past their store's limit go offline, returning ones online (contract §7); the outbox is woken for them. */
  async sweepDevices(): Promise<{offline: number; online: number}> {
    const r = await this.local.service.sweepDevices()
    for (const d of r.offline) this.log.warn({store: d.storeId, device: d.name, last_contact_at: d.lastContactAt}, 'device offline')
    for (const d of r.online) this.log.info({store: d.storeId, device: d.name, last_contact_at: d.lastContactAt}, 'device back online')
    if (r.offline.length + r.online.length > 0) this.dispatcher.wake()
    return {offline: r.offline.length, online: r.online.length}
  }

  /**
   * A commit of any instance or command on the shared database (LISTEN/NOTIFY): wake the outbox
   * now rather than at its next poll, give `vcash listen` each queued notification, and tell the
   * dashboard's live pages, at most every 100 ms (a busy ledger commits many times a second;
   * the pages refetch at most every 300 ms anyway).
   */
  private heard(c: LedgerChange, bus: EventEmitter<{notification: [NotificationRecord]}>): void {
    if (c.kind === 'notification' || c.kind === 'retry' || c.kind === 'resync') this.dispatcher.wake()
    if (c.kind === 'notification' && bus.listenerCount('notification') > 0) {
      this.local.storage.getNotification(c.id).then((n) => {
        if (n) bus.emit('notification', n)
      }, (error: unknown) => this.log.warn({err: error, notification: c.id}, 'reading a queued notification for vcash listen failed'))
    }
    this.heardKinds.add(c.kind === 'resync' ? 'elsewhere' : c.kind)
    this.heardTimer ??= setTimeout(() => {
      this.heardTimer = null
      for (const kind of this.heardKinds) this.live.emit('change', kind)
      this.heardKinds.clear()
    }, 100).unref()
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
      await this.unwatch?.().catch(() => {})
      if (this.heardTimer) clearTimeout(this.heardTimer)
      const server = this.server
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        // In-flight requests get a grace period; idle keep-alive sockets must not hold us up.
        const grace = setTimeout(() => server.closeAllConnections(), 5000)
        await closed
        clearTimeout(grace)
      }
      await this.dispatcher?.stop().catch((error: unknown) => this.log.error({err: error}, 'stopping the dispatcher failed'))
      removeAdminInfo(this.opts.dataDir)
      await this.local.close()
    })()
    return this.closing
  }
}

/**
 * A hard cap (server.maxConnections: Node closes what comes over it), and below it room kept
 * for whoever sends a request: when 90% of the cap is taken, each new connection closes the
 * oldest one that has no request in flight (never sent one, or idle between keep-alive
 * requests). So a crowd of idle sockets cannot lock checks out until its timeouts run: a
 * client that connects and asks at once is served, and only real in-flight work can fill the cap.
 */
export function limitConnections(server: http.Server, max: number, log: Logger): void {
  server.maxConnections = max
  const soft = Math.max(1, Math.ceil(max * 0.9))
  // Insertion order is age order: the first idle one found is the oldest.
  const open = new Set<Socket>()
  const inFlight = new Map<Socket, number>()
  let evicted = 0
  server.on('connection', (socket: Socket) => {
    if (open.size >= soft) {
      for (const old of open) {
        if ((inFlight.get(old) ?? 0) > 0) continue
        open.delete(old)
        old.destroy()
        if (evicted++ % 1000 === 0) log.warn({max, open: open.size, evicted}, 'connection limit reached: closing idle connections')
        break
      }
    }
    open.add(socket)
    socket.once('close', () => {
      open.delete(socket)
      inFlight.delete(socket)
    })
  })
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1)
    res.once('close', () => {
      const n = (inFlight.get(socket) ?? 1) - 1
      if (n > 0) inFlight.set(socket, n)
      else inFlight.delete(socket)
    })
  })
  server.on('drop', () => {
    if (evicted++ % 1000 === 0) log.warn({max}, 'connection limit reached: refusing connections (every one has a request in flight)')
  })
}
