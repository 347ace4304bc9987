/**
 * A durable on-disk spool of SMS not yet acknowledged by the server.
 *
 * An append-only JSON-lines log in the data dir, one per target server:
 *   {"t":"meta",    target}                             which destination this spool is for
 *   {"t":"add",     seq, key, sender, body, receivedAt, source, addedAt}
 *   {"t":"ack",     seq, status}                        the server answered 2xx: never send it again
 *   {"t":"reject",  seq, status, code, message, at}     the server refused it (4xx): held, not retried,
 *                                                       until `vcash sms spool --resend` (or --discard)
 *   {"t":"discard", seq}                                the user gave up on a refused entry
 *   {"t":"drop",    seq, status, reason}                written by older versions for a 4xx; read as "reject"
 *   {"t":"seen",    key}                                kept across compaction so re-reads are recognised
 * Each append is fsync'd before the caller moves on, so a message is "seen" (and the phone
 * cursor may advance) only once it is safely here. A torn last line after a crash is ignored.
 * Delivery is in order and at-least-once; the ack is written right after the 2xx, and a crash
 * between the two means one resend that the server answers "already have" (it dedupes by
 * fingerprint). A refused message is never lost: it stays here, with what the server said,
 * until it is delivered by a resend or discarded on purpose.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {EXIT, VcashError} from '../core/errors.js'
import {AdminClient} from './admin-client.js'
import {runningServer} from '../io/admin-info.js'
import {type FileLock, takeLock} from '../io/lock.js'
import {fsyncDir, writeFileAtomic} from '../io/durable.js'

export interface SpoolInput {
  /** Stable identity of the message at its source (e.g. `adb:SERIAL:ID:DATE`): re-reads are skipped. */
  key: string
  sender: string
  body: string
  /** ISO-8601: when the phone received it. */
  receivedAt: string
  source: string
}

export interface SpoolEntry extends SpoolInput {
  seq: number
  addedAt: string
}

/** What the server said when it refused an entry. */
export interface Rejection {
  status: number
  /** The server's error code (`store_required`, `invalid_input`, …), when it gave one. */
  code: string | null
  message: string
  /** ISO-8601; null for refusals recorded by older versions. */
  at: string | null
}

export interface RejectedEntry extends SpoolEntry {
  rejection: Rejection
}

/** State of a source key in a spool. `delivered` also covers discarded entries. */
export type KeyState = 'pending' | 'rejected' | 'delivered'

type LogLine =
  | {t: 'meta'; target: string}
  | ({t: 'add'} & SpoolEntry)
  | {t: 'ack'; seq: number; status: number}
  | ({t: 'reject'; seq: number} & Rejection)
  | {t: 'discard'; seq: number}
  | {t: 'drop'; seq: number; status: number; reason: string}
  | {t: 'seen'; key: string}

export type AddResult = {entry: SpoolEntry; added: true} | {entry?: undefined; added: false; reason: KeyState}

const KEEP_SEEN = 20_000
const COMPACT_BYTES = 4 * 1024 * 1024
const SPOOL_FILE = /^spool-[0-9a-f]{16}\.jsonl$/

export function spoolFile(dataDir: string, target: string): string {
  const id = createHash('sha256').update(target).digest('hex').slice(0, 16)
  return path.join(dataDir, 'sms', `spool-${id}.jsonl`)
}

/** Every spool file in a data dir (one per destination a tail or sync has used). */
export function spoolFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'sms')
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return names.filter((n) => SPOOL_FILE.test(n)).sort().map((n) => path.join(dir, n))
}

export class Spool {
  readonly file: string
  private readonly lockFile: string
  private held: FileLock | null = null
  private readonly readOnly: boolean
  private fd = -1
  private seq = 0
  private readonly pendingMap = new Map<number, SpoolEntry>()
  private readonly rejectedMap = new Map<number, RejectedEntry>()
  private readonly keys = new Map<string, KeyState>()
  private bytes = 0
  private closed = false
  /** The destination this spool is for (its spool key), when recorded. */
  target: string | null = null

  private constructor(file: string, opts: {readOnly: boolean; target?: string}) {
    this.file = file
    this.lockFile = `${file}.lock`
    this.readOnly = opts.readOnly
    if (this.readOnly) {
      this.replay()
      this.closed = true
      return
    }
    fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
    this.lock()
    try {
      this.replay()
      this.fd = fs.openSync(file, 'a', 0o600)
      if (opts.target !== undefined && this.target === null) {
        this.append([{t: 'meta', target: opts.target}])
        this.target = opts.target
      }
    } catch (error) {
      if (this.fd >= 0) fs.closeSync(this.fd)
      this.unlock()
      throw error
    }
  }

  /** Opens (creating) the spool for one target server URL; one process at a time. */
  static open(dataDir: string, target: string): Spool {
    return new Spool(spoolFile(dataDir, target), {readOnly: false, target})
  }

  /** Opens an existing spool file for writing (taking its lock), e.g. to resend what it holds. */
  static openFile(file: string): Spool {
    return new Spool(file, {readOnly: false})
  }

  /** A read-only snapshot of a spool file: no lock, nothing written (a running tail may own it). */
  static inspect(file: string): Spool {
    return new Spool(file, {readOnly: true})
  }

  private lock(): void {
    this.held = takeLock(this.lockFile, 'sms tail', {
      held: (owner) => new VcashError('spool_locked', `Another vcash process (pid ${owner.pid}) is already reading SMS into this data dir for this server.`, {
        suggestion: 'Stop the other `vcash sms tail`/`sync` first; one reader per data dir and server keeps delivery exactly ordered.',
        exit: EXIT.cantCreate,
      }),
    })
  }

  private unlock(): void {
    this.held?.release()
    this.held = null
  }

  private replay(): void {
    let text: string
    try {
      text = fs.readFileSync(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    this.bytes = Buffer.byteLength(text)
    const lastNl = text.lastIndexOf('\n')
    const complete = text.slice(0, lastNl + 1)
    const tail = text.slice(lastNl + 1)
    for (const line of complete.split('\n')) {
      if (line === '') continue
      try {
        this.apply(JSON.parse(line) as LogLine)
      } catch {
        // A damaged line in the middle: skip it; the entries around it still count.
      }
    }
    if (tail === '') return
    // The last append was cut by a crash. A complete record just lacks its newline; anything
    // else was never acknowledged to the caller, so it is cut off.
    let rec: LogLine | null = null
    try {
      rec = JSON.parse(tail) as LogLine
    } catch {
      rec = null
    }
    if (rec) this.apply(rec)
    // A reader leaves the file alone: the owner repairs it when it opens the spool.
    if (this.readOnly) return
    if (rec) {
      fs.appendFileSync(this.file, '\n')
      this.bytes += 1
    } else {
      fs.truncateSync(this.file, Buffer.byteLength(complete))
      this.bytes = Buffer.byteLength(complete)
    }
  }

  private apply(rec: LogLine): void {
    switch (rec.t) {
      case 'meta':
        if (typeof rec.target === 'string') this.target = rec.target
        break
      case 'add': {
        const {t: _t, ...entry} = rec
        this.seq = Math.max(this.seq, entry.seq)
        this.pendingMap.set(entry.seq, entry)
        this.keys.set(entry.key, 'pending')
        break
      }
      case 'ack':
      case 'discard': {
        const e = this.pendingMap.get(rec.seq) ?? this.rejectedMap.get(rec.seq)
        if (e) {
          this.pendingMap.delete(rec.seq)
          this.rejectedMap.delete(rec.seq)
          this.keys.set(e.key, 'delivered')
        }
        break
      }
      case 'reject':
      case 'drop': {
        const found = this.pendingMap.get(rec.seq) ?? this.rejectedMap.get(rec.seq)
        if (!found) break
        const {rejection: _old, ...e} = found as RejectedEntry
        const rejection: Rejection =
          rec.t === 'reject'
            ? {status: rec.status, code: rec.code ?? null, message: rec.message, at: rec.at ?? null}
            : {status: rec.status, code: null, message: rec.reason, at: null}
        this.pendingMap.delete(rec.seq)
        this.rejectedMap.set(rec.seq, {...e, rejection})
        this.keys.set(e.key, 'rejected')
        break
      }
      case 'seen':
        this.keys.set(rec.key, 'delivered')
        break
    }
  }

  private append(recs: LogLine[]): void {
    if (this.closed) throw new Error(this.readOnly ? 'spool is open read-only' : 'spool is closed')
    if (recs.length === 0) return
    const data = recs.map((r) => `${JSON.stringify(r)}\n`).join('')
    fs.writeSync(this.fd, data)
    fs.fsyncSync(this.fd)
    if (this.bytes === 0) fsyncDir(path.dirname(this.file))
    this.bytes += Buffer.byteLength(data)
  }

  /** What we know of a source key: still to send, refused and held, already delivered, or nothing. */
  state(key: string): KeyState | undefined {
    return this.keys.get(key)
  }

  /** Appends new messages (one fsync for the batch); keys seen before are skipped. */
  add(inputs: SpoolInput[]): AddResult[] {
    const results: AddResult[] = []
    const recs: LogLine[] = []
    const batchKeys = new Set<string>()
    for (const input of inputs) {
      const known = this.keys.get(input.key)
      if (known || batchKeys.has(input.key)) {
        results.push({added: false, reason: known ?? 'pending'})
        continue
      }
      batchKeys.add(input.key)
      const entry: SpoolEntry = {...input, seq: ++this.seq, addedAt: new Date().toISOString()}
      recs.push({t: 'add', ...entry})
      results.push({entry, added: true})
    }
    this.append(recs)
    for (const r of results) {
      if (r.added) {
        this.pendingMap.set(r.entry.seq, r.entry)
        this.keys.set(r.entry.key, 'pending')
      }
    }
    return results
  }

  /** Pending entries, oldest first. */
  pending(): SpoolEntry[] {
    return [...this.pendingMap.values()].sort((a, b) => a.seq - b.seq)
  }

  /** Entries the server refused, held until resent or discarded, oldest first. */
  rejected(): RejectedEntry[] {
    return [...this.rejectedMap.values()].sort((a, b) => a.seq - b.seq)
  }

  /** Pending entries (refused ones are not counted: they are not retried by themselves). */
  get size(): number {
    return this.pendingMap.size
  }

  get rejectedCount(): number {
    return this.rejectedMap.size
  }

  /** The server took it (2xx): forget it, pending or refused before. */
  ack(seq: number, status: number): void {
    this.settle({t: 'ack', seq, status})
  }

  /** The server refused it (4xx): hold it with what the server said; it is not retried. */
  reject(seq: number, r: {status: number; code?: string | null; message: string}): void {
    this.settle({t: 'reject', seq, status: r.status, code: r.code ?? null, message: r.message.slice(0, 500), at: new Date().toISOString()})
  }

  /** Gives up on a refused entry for good. */
  discard(seq: number): void {
    if (!this.rejectedMap.has(seq)) return
    this.settle({t: 'discard', seq})
  }

  private settle(rec: LogLine & {seq: number}): void {
    if (!this.pendingMap.has(rec.seq) && !this.rejectedMap.has(rec.seq)) return
    this.append([rec])
    this.apply(rec)
    if (this.pendingMap.size === 0 && this.bytes > COMPACT_BYTES) this.compact()
  }

  /** Rewrites the log as just the seen keys and the entries still held, atomically. */
  compact(): void {
    if (this.readOnly) throw new Error('spool is open read-only')
    const delivered = [...this.keys.entries()].filter(([, s]) => s === 'delivered').map(([k]) => k).slice(-KEEP_SEEN)
    const lines: LogLine[] = [
      ...(this.target === null ? [] : [{t: 'meta' as const, target: this.target}]),
      ...delivered.map((key): LogLine => ({t: 'seen', key})),
      ...this.rejected().flatMap(({rejection, ...e}): LogLine[] => [{t: 'add', ...e}, {t: 'reject', seq: e.seq, ...rejection}]),
      ...this.pending().map((e): LogLine => ({t: 'add', ...e})),
    ]
    const data = lines.map((r) => `${JSON.stringify(r)}\n`).join('')
    fs.closeSync(this.fd)
    writeFileAtomic(this.file, data)
    this.fd = fs.openSync(this.file, 'a', 0o600)
    this.bytes = Buffer.byteLength(data)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    fs.closeSync(this.fd)
    this.unlock()
  }
}

// ---------------------------------------------------------------------------------------------
// Sending to the server (POST /api/sms, contract §2)

export interface SmsPost {
  sender: string
  body: string
  /** ISO-8601 receive time. */
  received_at: string
  /** The device it came from (`adb:SERIAL`), sent as the X-Vcash-Device header (contract §7). */
  device?: string
}

export type PostOutcome =
  | {kind: 'new' | 'duplicate' | 'ignored' | 'accepted'; status: number; body: unknown}
  | {kind: 'rejected'; status: number; code: string | null; message: string}
  | {kind: 'retry'; status: number | null; message: string; retryAfterMs?: number}

/**
 * Where SMS go. Either a vcash server's device endpoint (`POST {server}/api/sms` with the
 * store's device token, contract §2) or, by default, the local `vcash serve` that owns the
 * data dir, through its loopback admin API (`POST {url}/admin/sms`, same 201/200/202 answers).
 */
export interface ServerTarget {
  endpoint: string
  token: string
  /** Human name for messages. */
  label: string
  /** Identity of the destination, keying the spool: the same store gets the same spool. */
  spoolKey: string
  /** Extra JSON fields (the admin API takes `store_id` and `source`). */
  extra?: Record<string, string>
  /** Re-reads credentials that may change (a restarted local server has a new admin token). */
  refresh?: () => ServerTarget | null
  timeoutMs?: number
}

export function remoteTarget(server: string, deviceToken: string): ServerTarget {
  const base = server.replace(/\/$/, '')
  return {endpoint: `${base}/api/sms`, token: deviceToken, label: base, spoolKey: `remote:${base}`}
}

function retryAfter(h: string | null): number | undefined {
  if (!h) return undefined
  if (/^\d+$/.test(h)) return Number(h) * 1000
  const t = Date.parse(h)
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now())
}

/** POSTs one SMS. Network trouble and 5xx/429 are `retry`; 401/403 is a VcashError (fix the token). */
export async function postSms(target: ServerTarget, sms: SmsPost, signal?: AbortSignal): Promise<PostOutcome> {
  const url = target.endpoint
  const timeout = AbortSignal.timeout(target.timeoutMs ?? 15_000)
  let res: Response
  const {device, ...fields} = sms
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/json', authorization: `Bearer ${target.token}`, ...(device ? {'x-vcash-device': device} : {})},
      body: JSON.stringify({...target.extra, ...fields}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
  } catch (error) {
    if (signal?.aborted) throw error
    const cause = (error as {cause?: {code?: string; message?: string}}).cause
    return {kind: 'retry', status: null, message: `${target.label} is not reachable (${cause?.code ?? cause?.message ?? (error as Error).message})`}
  }
  const text = await res.text().catch(() => '')
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    // Not JSON: keep the text for the message.
  }
  const msg = typeof body === 'object' && body !== null && 'message' in body ? String((body as {message: unknown}).message) : text.slice(0, 200)
  const code = typeof body === 'object' && body !== null && typeof (body as {code?: unknown}).code === 'string' ? ((body as {code: string}).code.slice(0, 64) || null) : null
  if (res.status === 201) return {kind: 'new', status: 201, body}
  if (res.status === 200) return {kind: 'duplicate', status: 200, body}
  if (res.status === 202) return {kind: 'ignored', status: 202, body}
  if (res.ok) return {kind: 'accepted', status: res.status, body}
  if (res.status === 401 || res.status === 403) {
    throw new VcashError('device_token_rejected', `${target.label} refused the device token (HTTP ${res.status}${msg ? `: ${msg}` : ''}).`, {
      suggestion: 'Pass the store\'s device token with --device-token or VCASH_DEVICE_TOKEN (`vcash serve` prints it on first start; `vcash store show` shows it).',
      exit: EXIT.config,
    })
  }
  if (res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500) {
    return {kind: 'retry', status: res.status, message: `HTTP ${res.status}${msg ? `: ${msg}` : ''}`, retryAfterMs: retryAfter(res.headers.get('retry-after'))}
  }
  return {kind: 'rejected', status: res.status, code, message: msg || `HTTP ${res.status}`}
}

export interface FlushEvents {
  delivered?: (entry: SpoolEntry, outcome: PostOutcome & {kind: 'new' | 'duplicate' | 'ignored' | 'accepted'}) => void
  rejected?: (entry: SpoolEntry, outcome: PostOutcome & {kind: 'rejected'}) => void
}

export type FlushResult = {ok: true; sent: number} | {ok: false; sent: number; message: string; retryAfterMs?: number}

/**
 * Sends pending entries in order, stopping at the first one the server cannot take now. An
 * entry the server refuses (4xx) is held in the spool as rejected, with what the server said;
 * it is not retried by itself (see `resendRejected`).
 */
export async function flushSpool(spool: Spool, target: ServerTarget, events: FlushEvents = {}, signal?: AbortSignal): Promise<FlushResult> {
  return sendEntries(spool, spool.pending(), target, events, signal)
}

/**
 * Sends the entries the server refused earlier again (after the cause was fixed: the right
 * store, token or server), oldest first: a 2xx removes one from the spool, another 4xx keeps
 * it held with the new answer, a server that cannot take it now stops the run.
 */
export async function resendRejected(spool: Spool, target: ServerTarget, events: FlushEvents = {}, signal?: AbortSignal, only?: (e: RejectedEntry) => boolean): Promise<FlushResult> {
  return sendEntries(spool, spool.rejected().filter((e) => !only || only(e)), target, events, signal)
}

async function sendEntries(spool: Spool, entries: SpoolEntry[], target: ServerTarget, events: FlushEvents, signal?: AbortSignal): Promise<FlushResult> {
  let sent = 0
  for (const entry of entries) {
    if (signal?.aborted) break
    const device = entry.source.startsWith('adb:') ? entry.source : undefined
    const outcome = await postWithRefresh(target, {sender: entry.sender, body: entry.body, received_at: entry.receivedAt, device}, signal)
    if (outcome.kind === 'retry') return {ok: false, sent, message: outcome.message, retryAfterMs: outcome.retryAfterMs}
    if (outcome.kind === 'rejected') {
      spool.reject(entry.seq, outcome)
      events.rejected?.(entry, outcome)
    } else {
      spool.ack(entry.seq, outcome.status)
      events.delivered?.(entry, outcome)
    }
    sent++
  }
  return {ok: true, sent}
}

/** Posts, and on an auth failure or an unreachable server retries once with refreshed credentials. */
export async function postWithRefresh(target: ServerTarget, sms: SmsPost, signal?: AbortSignal): Promise<PostOutcome> {
  try {
    const outcome = await postSms(target, sms, signal)
    if (outcome.kind !== 'retry' || !target.refresh) return outcome
  } catch (error) {
    if (!target.refresh || !(error instanceof VcashError) || error.code !== 'device_token_rejected') throw error
  }
  const fresh = target.refresh?.()
  if (!fresh) return {kind: 'retry', status: null, message: `${target.label} is not running`}
  Object.assign(target, {endpoint: fresh.endpoint, token: fresh.token, label: fresh.label})
  return postSms(target, sms, signal)
}

export interface ResolveTargetOptions {
  dataDir: string
  server?: string
  deviceToken?: string
  storeId?: string
}

/**
 * `--server URL` (+ device token), or else the `vcash serve` that owns the data dir, reached
 * through its loopback admin API (its token rotates on restart, hence `refresh`).
 */
export function resolveTarget(o: ResolveTargetOptions): ServerTarget {
  if (o.server) {
    if (!o.deviceToken) {
      throw new VcashError('device_token_required', `Sending SMS to ${o.server} needs the store's device token.`, {
        suggestion: 'Pass --device-token TOKEN or set VCASH_DEVICE_TOKEN (`vcash serve` prints it on first start).',
        exit: EXIT.config,
      })
    }
    return remoteTarget(o.server, o.deviceToken)
  }
  const local = (): ServerTarget | null => {
    const info = runningServer(o.dataDir)
    if (!info) return null
    const extra: Record<string, string> = {source: 'adb'}
    if (o.storeId) extra.store_id = o.storeId
    return {
      endpoint: `${info.url.replace(/\/$/, '')}/admin/sms`,
      token: info.token,
      label: `the local vcash server (${info.url})`,
      spoolKey: `local:${path.resolve(o.dataDir)}:${o.storeId ?? ''}`,
      extra,
      refresh: local,
    }
  }
  const t = local()
  if (!t) {
    throw new VcashError('server_not_running', `No vcash server is running for the data dir ${o.dataDir}.`, {
      suggestion: 'Start one with `vcash serve` (in another terminal), or send to a remote server with --server URL --device-token TOKEN.',
      exit: EXIT.unavailable,
    })
  }
  return t
}

export interface StoreCheck {
  /** The store the SMS will go to, when known (null for --server: the device token names it). */
  storeId: string | null
  /** False when the local server could not be asked; the spool then holds whatever it refuses. */
  checked: boolean
}

/**
 * Before touching the phone: can the destination tell which store its SMS belong to? A device
 * token (--server) names its store. The local server needs --store when the data dir holds
 * several stores (it refuses every SMS with 400 `store_required` otherwise), and a given
 * --store must exist. Throws a usage error naming --store and the store ids.
 */
export async function checkTargetStore(o: ResolveTargetOptions): Promise<StoreCheck> {
  if (o.server) return {storeId: null, checked: false}
  const info = runningServer(o.dataDir)
  if (!info) return {storeId: o.storeId ?? null, checked: false}
  let stores: {id: string; name?: string}[]
  try {
    stores = (await new AdminClient(info).request<{stores: {id: string; name?: string}[]}>('GET', '/stores')).stores
  } catch {
    return {storeId: o.storeId ?? null, checked: false}
  }
  const ids = stores.map((s) => s.id)
  const listed = stores.map((s) => (s.name ? `${s.id} (${s.name})` : s.id)).join(', ')
  if (o.storeId !== undefined) {
    if (ids.includes(o.storeId)) return {storeId: o.storeId, checked: true}
    throw new VcashError('store_not_found', `There is no store "${o.storeId}" in the data dir ${o.dataDir}.`, {
      suggestion: ids.length > 0 ? `Pass --store with one of: ${listed}.` : 'Create one with `vcash store init`.',
      exit: EXIT.usage,
      http: 404,
      errors: [{field: 'store', message: 'no such store'}],
    })
  }
  if (stores.length === 1) return {storeId: ids[0] ?? null, checked: true}
  if (stores.length === 0) {
    throw new VcashError('no_store', `The data dir ${o.dataDir} has no store yet, so the server would refuse every SMS.`, {
      suggestion: 'Create one with `vcash store init`, then start again.',
      exit: EXIT.usage,
    })
  }
  throw new VcashError('store_required', `The data dir ${o.dataDir} holds ${stores.length} stores and --store was not given: vcash cannot tell which store this phone's SMS belong to.`, {
    suggestion: `Pass --store with the store whose wallet SIM is in this phone (one of: ${listed}), e.g. --store ${ids[0]}; or set VCASH_STORE.`,
    exit: EXIT.usage,
    errors: [{field: 'store', message: `required: the data dir holds ${stores.length} stores`}],
  })
}
