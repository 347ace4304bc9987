/**
 * `vcash sms tail` and `vcash sms sync` without the CLI: read a tethered phone's SMS inbox over
 * adb, spool every wallet message durably, and deliver the spool to a vcash server in order.
 *
 * SmsTail owns the long-running loop (after Heroku's `logs --tail` displayer): it polls the
 * inbox, follows devices with `host:track-devices` so an unplug/replug just pauses and resumes,
 * reconnects to (or restarts) the adb server, retries the server with backoff while the spool
 * keeps everything on disk, and stops cleanly on SIGINT or an AbortSignal. It reports what
 * happens as events; printing them is the command's job.
 */
import {EventEmitter} from 'node:events'

import type {Tracker} from 'adb-ts'

import {EXIT, VcashError} from '../core/errors.js'
import {parseSms} from '../sms/parse.js'
import type {ParseResult, SmsInput} from '../sms/types.js'
import {type AdbDevice, AdbHost, type AdbOptions, toAdbDevice} from './adb/client.js'
import {CursorStore} from './adb/cursor.js'
import {type InboxMessage, type InboxQuery, listCommand, parseList, readInbox} from './adb/inbox.js'
import {describeState, noDeviceError, selectDevice} from './adb/select.js'
import {LOCK_PROBE, LOCKED_HINT, type PhoneState, postHeartbeat, readLockProbe} from './heartbeat.js'
import {flushSpool, type PostOutcome, Spool, type SpoolEntry, type SpoolInput, type ServerTarget} from './spool.js'

export type ParseFn = (input: SmsInput) => ParseResult

/** Which inbox messages go to the server. */
export type ForwardPolicy = 'wallet' | 'all'

export interface SmsSourceOptions {
  dataDir: string
  target: ServerTarget
  adb?: AdbOptions
  serial?: string
  /** Asks which phone to use when several are ready (only given on a TTY). */
  prompt?: (devices: AdbDevice[]) => Promise<string>
  parse?: ParseFn
  /**
   * `wallet` (default) forwards what came from a wallet/bank sender id, receipts or not (the
   * server counts unparsed layouts); personal SMS and OTPs from other senders stay on the phone.
   * `all` forwards everything (the server records untrusted senders as ignored).
   */
  forward?: ForwardPolicy
  signal?: AbortSignal
}

export interface SmsTailOptions extends SmsSourceOptions {
  intervalMs?: number
  /** Backfill from this time (ms) on each device's first poll, then follow new messages. */
  sinceMs?: number
  /** Delays between delivery attempts while the server is down. */
  backoff?: {initialMs: number; maxMs: number}
  /** Stop on SIGINT (default true). A second SIGINT falls through to Node's default. */
  handleSigint?: boolean
  /** Tell the server this often that the tail is alive and how the phone is (contract §7); 0 = never. Default 60 s. */
  heartbeatMs?: number
  /** Sent with each heartbeat (`vcash/0.3.0`). */
  appVersion?: string
}

export type TailEvent =
  | {type: 'adb'; host: string; port: number}
  | {type: 'waiting'; code: string; message: string; suggestion: string}
  | {type: 'device'; serial: string; model: string | null}
  | {type: 'device-lost'; serial: string; reason: string}
  | {type: 'baseline'; serial: string; lastId: number}
  | {type: 'sms'; serial: string; message: InboxMessage; parsed: ParseResult; forwarded: boolean; duplicate: boolean}
  | {type: 'delivered'; entry: SpoolEntry; outcome: PostOutcome}
  /** The server refused it (4xx): held in the spool as rejected, never dropped (`vcash sms spool --resend`). */
  | {type: 'rejected'; entry: SpoolEntry; status: number; code: string | null; message: string}
  | {type: 'server-down'; message: string; pending: number; retryInMs: number}
  | {type: 'server-up'; pending: number}
  | {type: 'warning'; message: string}
  /** The phone's screen lock changed (read at each heartbeat): locked phones may refuse to show the inbox. */
  | {type: 'phone'; serial: string; state: 'locked' | 'ready'; message: string; suggestion: string}
  /** Heartbeats started or stopped getting through (reported on change only). */
  | {type: 'heartbeat'; ok: boolean; message: string | null}
  | {type: 'stopping'; pending: number}

export interface TailSummary {
  read: number
  forwarded: number
  delivered: {new: number; duplicate: number; ignored: number}
  /** Refused by the server (4xx) during this run; held in the spool, see `vcash sms spool`. */
  rejected: number
  pending: number
}

function shouldForward(parsed: ParseResult, policy: ForwardPolicy): boolean {
  if (policy === 'all') return true
  return parsed.kind === 'receive' || parsed.reason !== 'untrusted_sender'
}

function spoolKey(serial: string, m: InboxMessage): string {
  return `adb:${serial}:${m.id}:${m.date}`
}

function toInput(serial: string, m: InboxMessage): SpoolInput {
  return {key: spoolKey(serial, m), sender: m.address, body: m.body, receivedAt: new Date(m.date).toISOString(), source: `adb:${serial}`}
}

/** Spools the messages (one fsync), then advances the cursor: never the other way round. */
function ingestMessages(
  ctx: {spool: Spool; cursor: CursorStore; parse: ParseFn; forward: ForwardPolicy},
  serial: string,
  messages: InboxMessage[],
): {message: InboxMessage; parsed: ParseResult; forwarded: boolean; duplicate: boolean}[] {
  const rows = messages.map((message) => {
    const parsed = ctx.parse({sender: message.address, body: message.body})
    return {message, parsed, forwarded: shouldForward(parsed, ctx.forward)}
  })
  const results = ctx.spool.add(rows.filter((r) => r.forwarded).map((r) => toInput(serial, r.message)))
  let i = 0
  const out = rows.map((r) => {
    if (!r.forwarded) return {...r, duplicate: false}
    const res = results[i++]
    return {...r, duplicate: res?.added === false}
  })
  const newest = messages.at(-1)
  const cur = ctx.cursor.get(serial)
  if (newest && (!cur || newest.id > cur.lastId || (newest.id === cur.lastId && newest.date !== cur.lastDate))) {
    ctx.cursor.set(serial, newest.id, newest.date)
  }
  return out
}

function sleep(ms: number, signal: AbortSignal, wake?: {fn?: () => void}): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      if (wake) wake.fn = undefined
      resolve()
    }
    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done, {once: true})
    if (wake) wake.fn = done
  })
}

/** What the heartbeat says about the phone while the tail waits for it. */
const PHONE_STATE_OF: Readonly<Record<string, PhoneState>> = {
  device_unauthorized: 'unauthorized',
  device_offline: 'offline',
  device_not_found: 'unplugged',
  no_device: 'no_device',
}

export class SmsTail extends EventEmitter {
  private readonly opts: Required<Pick<SmsTailOptions, 'intervalMs' | 'forward' | 'handleSigint'>> & SmsTailOptions
  private readonly abort = new AbortController()
  private readonly wake: {fn?: () => void} = {}
  private adb!: AdbHost
  private spool!: Spool
  private cursor!: CursorStore
  private tracker: Tracker | null = null
  private trackerDead = true
  private readonly known = new Map<string, AdbDevice>()
  /** The phone we read: `--serial`, or the one chosen at start (kept across replugs). */
  private chosen: string | null = null
  private active: string | null = null
  private readonly backfilled = new Set<string>()
  private lastWaiting = ''
  private serverDown = false
  private nextFlushAt = 0
  private backoffMs = 0
  private nextAdbRetryAt = 0
  private nextHeartbeatAt = 0
  private heartbeatOk: boolean | null = null
  private phoneState: {state: PhoneState; detail: string | null} = {state: 'unknown', detail: null}
  private locked: boolean | null = null
  private readonly summary: TailSummary = {read: 0, forwarded: 0, delivered: {new: 0, duplicate: 0, ignored: 0}, rejected: 0, pending: 0}

  constructor(options: SmsTailOptions) {
    super()
    this.opts = {intervalMs: 3000, forward: 'wallet', handleSigint: true, ...options}
    this.chosen = options.serial ?? null
    options.signal?.addEventListener('abort', () => this.stop(), {once: true})
  }

  override on(event: 'event', listener: (e: TailEvent) => void): this {
    return super.on(event, listener)
  }

  private emitEvent(e: TailEvent): void {
    this.emit('event', e)
  }

  stop(): void {
    this.abort.abort()
  }

  /** Runs until stopped; resolves with what was done. Startup problems (no adb) reject. */
  async run(): Promise<TailSummary> {
    const signal = this.abort.signal
    const onSigint = () => {
      process.removeListener('SIGINT', onSigint)
      this.stop()
    }
    if (this.opts.handleSigint) process.on('SIGINT', onSigint)
    this.adb = new AdbHost(this.opts.adb)
    this.cursor = new CursorStore(this.opts.dataDir)
    this.spool = Spool.open(this.opts.dataDir, this.opts.target.spoolKey)
    try {
      await this.adb.ensureServer()
      this.emitEvent({type: 'adb', host: this.adb.host, port: this.adb.port})
      await this.connectTracker(true)
      while (!signal.aborted) {
        if (this.trackerDead && Date.now() >= this.nextAdbRetryAt) await this.connectTracker(false)
        if (this.active) await this.pollActive()
        if (this.spool.size > 0 && Date.now() >= this.nextFlushAt) await this.flush()
        if (this.heartbeatMs > 0 && Date.now() >= this.nextHeartbeatAt) await this.heartbeat()
        const untilFlush = this.spool.size > 0 ? Math.max(0, this.nextFlushAt - Date.now()) : Number.POSITIVE_INFINITY
        const untilBeat = this.heartbeatMs > 0 ? Math.max(0, this.nextHeartbeatAt - Date.now()) : Number.POSITIVE_INFINITY
        await sleep(Math.min(this.opts.intervalMs, untilFlush, untilBeat), signal, this.wake)
      }
      this.summary.pending = this.spool.size
      this.emitEvent({type: 'stopping', pending: this.spool.size})
      return {...this.summary}
    } finally {
      process.removeListener('SIGINT', onSigint)
      // Detach first, so our own hang-up is not reported as the adb server going away.
      const tracker = this.tracker
      this.tracker = null
      tracker?.end()
      this.spool.close()
    }
  }

  private async connectTracker(initial: boolean): Promise<void> {
    try {
      if (!initial) await this.adb.ensureServer()
      const tracker = await this.adb.track()
      const dead = () => {
        if (this.tracker !== tracker) return
        this.tracker = null
        this.trackerDead = true
        this.nextAdbRetryAt = Date.now() + 1000
        this.known.clear()
        if (this.active) this.lose(this.active, 'the adb server went away')
        this.emitEvent({type: 'warning', message: 'Lost the adb server; reconnecting…'})
        this.wake.fn?.()
      }
      tracker.on('add', (d) => this.update(toAdbDevice(d)))
      tracker.on('change', (d) => this.update(toAdbDevice(d)))
      tracker.on('remove', (d) => this.remove(d.id))
      tracker.on('end', dead)
      tracker.on('error', dead)
      this.tracker = tracker
      this.trackerDead = false
      // The tracker's first list raises no events: seed from a plain listing.
      const devices = await this.adb.devices()
      this.known.clear()
      for (const d of devices) this.known.set(d.serial, d)
      if (!initial) this.emitEvent({type: 'adb', host: this.adb.host, port: this.adb.port})
      await this.reconsider(initial)
    } catch (error) {
      if (initial) throw error
      this.trackerDead = true
      this.nextAdbRetryAt = Date.now() + Math.min(10_000, this.opts.intervalMs * 2)
    }
  }

  private update(d: AdbDevice): void {
    this.known.set(d.serial, d)
    void this.reconsider(false).catch((error: unknown) => this.emitEvent({type: 'warning', message: (error as Error).message}))
  }

  private remove(serial: string): void {
    this.known.delete(serial)
    if (this.active === serial) this.lose(serial, 'unplugged')
    void this.reconsider(false).catch(() => {})
  }

  private lose(serial: string, reason: string): void {
    this.active = null
    this.emitEvent({type: 'device-lost', serial, reason})
  }

  private get heartbeatMs(): number {
    return this.opts.heartbeatMs ?? 60_000
  }

  /** Beat once (and look at the screen lock first); never throws: the SMS matter more. */
  private async heartbeat(): Promise<void> {
    this.nextHeartbeatAt = Date.now() + this.heartbeatMs
    const serial = this.active ?? this.chosen
    if (this.active) await this.probeLock(this.active)
    const phone = this.active ? {state: this.locked ? 'locked' as const : 'ready' as const, detail: this.locked ? 'the screen is locked' : null} : this.phoneState
    const r = await postHeartbeat(this.opts.target, {name: `adb:${serial ?? 'no-phone'}`, kind: 'tail', app_version: this.opts.appVersion ?? null, phone}, this.abort.signal).catch((error: unknown) => ({ok: false as const, status: null, message: (error as Error).message}))
    if (this.abort.signal.aborted) return
    if (r.ok !== this.heartbeatOk) this.emitEvent({type: 'heartbeat', ok: r.ok, message: r.ok ? null : r.message})
    this.heartbeatOk = r.ok
  }

  private async probeLock(serial: string): Promise<void> {
    let locked: boolean | null
    try {
      locked = readLockProbe(await this.adb.shell(serial, LOCK_PROBE))
    } catch {
      return
    }
    if (locked === null || locked === this.locked) return
    const was = this.locked
    this.locked = locked
    if (locked) this.emitEvent({type: 'phone', serial, state: 'locked', message: `The phone ${serial} is locked.`, suggestion: LOCKED_HINT})
    else if (was) this.emitEvent({type: 'phone', serial, state: 'ready', message: `The phone ${serial} is unlocked.`, suggestion: ''})
  }

  private waiting(code: string, message: string, suggestion: string): void {
    const k = `${code}:${message}`
    if (k === this.lastWaiting) return
    this.lastWaiting = k
    this.phoneState = {state: PHONE_STATE_OF[code] ?? 'unknown', detail: message}
    this.emitEvent({type: 'waiting', code, message, suggestion})
  }

  /** Decides which phone to read after any device change. */
  private async reconsider(initial: boolean): Promise<void> {
    const devices = [...this.known.values()]
    if (this.chosen === null) {
      const ready = devices.filter((d) => d.state === 'device')
      if (ready.length > 1 && !this.opts.prompt && !initial) {
        // A second phone appeared later: keep waiting rather than guess.
        this.waiting('several_devices', `Several phones are connected: ${ready.map((d) => d.serial).join(', ')}.`, 'Restart with --serial to choose one.')
        return
      }
      if (ready.length === 0) {
        const first = devices[0]
        const s = first ? describeState(first) : null
        if (s) this.waiting(s.code, s.message, s.suggestion)
        else {
          const e = noDeviceError()
          this.waiting(e.code, e.message, e.suggestion ?? '')
        }
        return
      }
      // Throws `several_devices` (naming --serial) when we may not prompt: a startup error.
      this.chosen = (await selectDevice(ready, {prompt: this.opts.prompt})).serial
    }
    const d = this.known.get(this.chosen)
    if (!d) {
      if (this.active === this.chosen) this.lose(this.chosen, 'unplugged')
      this.waiting('device_not_found', `Waiting for the phone ${this.chosen} to be plugged in…`, 'Plug it in and unlock it.')
      return
    }
    const s = describeState(d)
    if (s) {
      if (this.active === d.serial) this.lose(d.serial, d.state)
      this.waiting(s.code, s.message, s.suggestion)
      return
    }
    if (this.active !== d.serial) {
      this.active = d.serial
      this.lastWaiting = ''
      this.emitEvent({type: 'device', serial: d.serial, model: d.model ?? null})
      this.wake.fn?.()
    }
  }

  private async pollActive(): Promise<void> {
    const serial = this.active
    if (!serial) return
    const shell = (cmd: string) => this.adb.shell(serial, cmd)
    try {
      const cur = this.cursor.get(serial)
      let q: InboxQuery
      if (this.opts.sinceMs !== undefined && !this.backfilled.has(serial)) {
        q = {sinceMs: this.opts.sinceMs}
      } else if (cur) {
        q = {minId: cur.lastId}
      } else {
        // First sight of this phone: follow from now on; history is `--since`'s job.
        const newest = parseList(await shell(listCommand({}))).at(-1)
        this.cursor.set(serial, newest?.id ?? 0, newest?.date ?? 0)
        this.emitEvent({type: 'baseline', serial, lastId: newest?.id ?? 0})
        return
      }
      const {messages} = await readInbox(shell, q)
      this.backfilled.add(serial)
      const fresh = cur && q.minId !== undefined ? messages.filter((m) => m.id > cur.lastId || (m.id === cur.lastId && m.date !== cur.lastDate)) : messages
      if (fresh.length === 0) return
      const rows = ingestMessages({spool: this.spool, cursor: this.cursor, parse: this.opts.parse ?? parseSms, forward: this.opts.forward}, serial, fresh)
      for (const r of rows) {
        this.summary.read++
        if (r.forwarded && !r.duplicate) this.summary.forwarded++
        this.emitEvent({type: 'sms', serial, ...r})
      }
      // Something new: try the server now rather than after the backoff.
      if (rows.some((r) => r.forwarded && !r.duplicate)) this.nextFlushAt = Math.min(this.nextFlushAt, Date.now())
    } catch (error) {
      if (this.abort.signal.aborted) return
      if (error instanceof VcashError && error.code === 'sms_provider_error') {
        this.emitEvent({type: 'warning', message: `${error.message}${error.suggestion ? ` — ${error.suggestion}` : ''}`})
        return
      }
      // Usually an unplug racing the poll; the tracker tells us for sure.
      this.emitEvent({type: 'warning', message: `Could not read the inbox of ${serial}: ${(error as Error).message}`})
    }
  }

  private async flush(): Promise<void> {
    const res = await flushSpool(
      this.spool,
      this.opts.target,
      {
        delivered: (entry, outcome) => {
          if (outcome.kind === 'new' || outcome.kind === 'accepted') this.summary.delivered.new++
          else if (outcome.kind === 'duplicate') this.summary.delivered.duplicate++
          else this.summary.delivered.ignored++
          this.emitEvent({type: 'delivered', entry, outcome})
        },
        rejected: (entry, outcome) => {
          this.summary.rejected++
          this.emitEvent({type: 'rejected', entry, status: outcome.status, code: outcome.code, message: outcome.message})
        },
      },
      this.abort.signal,
    ).catch((error: unknown) => {
      if (this.abort.signal.aborted) return {ok: true as const, sent: 0}
      throw error
    })
    if (res.ok) {
      if (this.serverDown) this.emitEvent({type: 'server-up', pending: this.spool.size})
      this.serverDown = false
      this.backoffMs = 0
      this.nextFlushAt = 0
      return
    }
    const {initialMs, maxMs} = this.opts.backoff ?? {initialMs: 1000, maxMs: 60_000}
    this.backoffMs = this.backoffMs === 0 ? initialMs : Math.min(maxMs, this.backoffMs * 2)
    const wait = Math.max(this.backoffMs, res.retryAfterMs ?? 0)
    this.nextFlushAt = Date.now() + wait
    if (!this.serverDown) this.emitEvent({type: 'server-down', message: res.message, pending: this.spool.size, retryInMs: wait})
    this.serverDown = true
  }
}

// ---------------------------------------------------------------------------------------------
// One-shot backfill: `vcash sms sync --since DATE`

export interface SyncOptions extends SmsSourceOptions {
  sinceMs: number
  onProgress?: (p: {phase: 'read' | 'send'; done: number; total: number}) => void
}

export interface SyncResult {
  serial: string
  read: number
  /** Not from a wallet sender: left on the phone. */
  skipped: number
  /** Already delivered (or queued) by an earlier tail/sync. */
  alreadyDelivered: number
  new: number
  duplicate: number
  ignored: number
  /** Refused by the server and held in the spool (this run's, and earlier ones among these messages). */
  rejected: number
  /** Still spooled because the server could not take them now. */
  pending: number
  serverError: string | null
  messages: {id: number; sender: string; receivedAt: string; parsed: ParseResult; outcome: 'new' | 'duplicate' | 'ignored' | 'rejected' | 'skipped' | 'already_delivered' | 'pending'}[]
}

/** Reads the inbox from `sinceMs`, spools what is new and delivers it. Safe to run twice. */
export async function syncInbox(opts: SyncOptions): Promise<SyncResult> {
  const adb = new AdbHost(opts.adb)
  await adb.ensureServer()
  const device = await selectDevice(await adb.devices(), {serial: opts.serial, prompt: opts.prompt})
  const cursor = new CursorStore(opts.dataDir)
  const spool = Spool.open(opts.dataDir, opts.target.spoolKey)
  try {
    const {messages} = await readInbox((cmd) => adb.shell(device.serial, cmd), {sinceMs: opts.sinceMs}, (done, total) => opts.onProgress?.({phase: 'read', done, total}))
    const before = new Map(messages.map((m) => [spoolKey(device.serial, m), spool.state(spoolKey(device.serial, m))]))
    const rows = ingestMessages({spool, cursor, parse: opts.parse ?? parseSms, forward: opts.forward ?? 'wallet'}, device.serial, messages)
    const outcomeByKey = new Map<string, SyncResult['messages'][number]['outcome']>()
    const result: SyncResult = {serial: device.serial, read: messages.length, skipped: 0, alreadyDelivered: 0, new: 0, duplicate: 0, ignored: 0, rejected: 0, pending: 0, serverError: null, messages: []}
    for (const r of rows) {
      const key = spoolKey(device.serial, r.message)
      if (!r.forwarded) {
        result.skipped++
        outcomeByKey.set(key, 'skipped')
      } else if (before.get(key) === 'delivered') {
        result.alreadyDelivered++
        outcomeByKey.set(key, 'already_delivered')
      } else if (before.get(key) === 'rejected') {
        // Refused by an earlier run and still held: `vcash sms spool --resend` sends it again.
        result.rejected++
        outcomeByKey.set(key, 'rejected')
      }
    }
    const total = spool.size
    let done = 0
    opts.onProgress?.({phase: 'send', done, total})
    const res = await flushSpool(
      spool,
      opts.target,
      {
        delivered: (entry, outcome) => {
          const kind = outcome.kind === 'duplicate' ? 'duplicate' : outcome.kind === 'ignored' ? 'ignored' : 'new'
          result[kind]++
          outcomeByKey.set(entry.key, kind)
          opts.onProgress?.({phase: 'send', done: ++done, total})
        },
        rejected: (entry) => {
          result.rejected++
          outcomeByKey.set(entry.key, 'rejected')
          opts.onProgress?.({phase: 'send', done: ++done, total})
        },
      },
      opts.signal,
    )
    if (!res.ok) result.serverError = res.message
    result.pending = spool.size
    for (const r of rows) {
      const key = spoolKey(device.serial, r.message)
      result.messages.push({
        id: r.message.id,
        sender: r.message.address,
        receivedAt: new Date(r.message.date).toISOString(),
        parsed: r.parsed,
        outcome: outcomeByKey.get(key) ?? (spool.state(key) === 'pending' ? 'pending' : spool.state(key) === 'rejected' ? 'rejected' : 'already_delivered'),
      })
    }
    if (result.pending > 0 && result.serverError === null && opts.signal?.aborted) result.serverError = 'interrupted'
    return result
  } finally {
    spool.close()
  }
}

export function serverUnavailable(result: {serverError: string | null; pending: number}, label: string): VcashError {
  return new VcashError('server_unreachable', `${result.pending} SMS could not be delivered to ${label}: ${result.serverError ?? 'unknown error'}. They are kept on disk.`, {
    suggestion: 'Start the server (`vcash serve`) and run the same command again, or leave `vcash sms tail` running: it delivers the spool when the server is back.',
    exit: EXIT.unavailable,
  })
}

