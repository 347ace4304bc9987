/**
 * Reading the phone's SMS inbox through `adb shell content query`.
 *
 * Why `content query` on `content://sms/inbox`: it needs nothing installed on the phone (no
 * companion app to be killed in the background), works over plain USB debugging on stock
 * Android 5–15, and the SMS provider already holds multi-part messages reassembled as one row
 * with the phone's own receive time (`date`). Its one weakness is the output format: Android
 * prints `Row: N col=value, col=value` with no quoting or escaping, so a body with `, `,
 * newlines or `Row:`-looking text is ambiguous. We therefore:
 *   1. list rows with a projection that has no free text except the address, put last;
 *   2. read bodies in bulk with `body` as the last column and accept the split only when it
 *      agrees exactly with step 1 (same ids, same order, same address and date);
 *   3. otherwise re-query each message alone by `_id`, where the body is simply "everything
 *      after `body=`" because the id is unique: unambiguous whatever the text holds.
 * Every shell command stays ASCII (adb-ts miscounts the length of non-ASCII commands).
 */
import {EXIT, VcashError} from '../../core/errors.js'

/** Runs one shell command on the device and returns its whole output (stdout+stderr, as adb's legacy shell does). */
export type ShellFn = (command: string) => Promise<string>

export interface InboxRow {
  /** The provider's `_id`: increasing, but reused if the newest row is deleted (see `cursor.ts`). */
  id: number
  address: string
  /** When the phone received it (ms since epoch), the authoritative receive time. */
  date: number
  /** The SMSC's send time, when the network gave one. */
  dateSent: number | null
}

export interface InboxMessage extends InboxRow {
  body: string
}

export interface InboxQuery {
  /** Only rows with `_id >= minId`. */
  minId?: number
  maxId?: number
  /** Only rows received at or after this time (ms since epoch). */
  sinceMs?: number
}

const URI = 'content://sms/inbox'
const MAX_SAFE_ID = 2 ** 53 - 1

function where(q: InboxQuery): string {
  const parts: string[] = []
  if (q.minId !== undefined) parts.push(`_id>=${checkInt(q.minId)}`)
  if (q.maxId !== undefined) parts.push(`_id<=${checkInt(q.maxId)}`)
  if (q.sinceMs !== undefined) parts.push(`date>=${checkInt(q.sinceMs)}`)
  return parts.length > 0 ? ` --where "${parts.join(' AND ')}"` : ''
}

function checkInt(n: number): number {
  // Numbers end up inside a shell command: only plain non-negative integers may pass.
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`not a non-negative integer: ${n}`)
  return n
}

export function listCommand(q: InboxQuery): string {
  return `content query --uri ${URI} --projection _id:date:date_sent:address${where(q)} --sort "_id ASC"`
}

export function bulkCommand(q: InboxQuery): string {
  return `content query --uri ${URI} --projection _id:date:date_sent:address:body${where(q)} --sort "_id ASC"`
}

export function oneCommand(id: number): string {
  return `content query --uri ${URI} --projection _id:date:date_sent:address:body --where "_id=${checkInt(id)}"`
}

/**
 * Old devices run `shell:` under a PTY that turns every `\n` into `\r\n`. The last line
 * `content` prints always ends in a newline, so when *every* `\n` is preceded by `\r` the
 * output went through a PTY and we undo it; a modern device's output keeps a body's own `\r\n`.
 */
export function normaliseShellOutput(raw: string): string {
  if (!raw.includes('\n')) return raw
  const bare = /(^|[^\r])\n/.test(raw)
  return bare ? raw : raw.replaceAll('\r\n', '\n')
}

const NO_RESULT = 'No result found.'

/** Throws when the output is not rows: `content` prints errors and still exits 0. */
function checkOutput(out: string): 'empty' | 'rows' {
  const trimmed = out.trim()
  if (trimmed === '' || trimmed === NO_RESULT) return 'empty'
  if (out.startsWith('Row: ')) return 'rows'
  const first = trimmed.split('\n', 1)[0] ?? ''
  const denied = /SecurityException|Permission Denial|not allowed/i.test(trimmed)
  throw new VcashError('sms_provider_error', `The phone refused to read its SMS inbox: ${first.slice(0, 200)}`, {
    suggestion: denied
      ? 'Some phones (Xiaomi/MIUI, some Huawei) block SMS access over USB debugging: enable "USB debugging (Security settings)" in Developer options, or use a forwarder app (see docs/sms-sources.md).'
      : 'Unlock the phone and try again; if it persists, use a forwarder app (see docs/sms-sources.md).',
    exit: EXIT.unavailable,
  })
}

function parseId(s: string | undefined): number | null {
  if (s === undefined || !/^\d{1,16}$/.test(s)) return null
  const n = Number(s)
  return Number.isSafeInteger(n) && n <= MAX_SAFE_ID ? n : null
}

function parseTime(s: string | undefined): number | null {
  if (s === undefined || s === 'NULL' || !/^-?\d{1,16}$/.test(s)) return null
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : null
}

const LIST_ROW = /^Row: (\d+) _id=(\d+), date=(-?\d+|NULL), date_sent=(-?\d+|NULL), address=(.*)$/

/** Parses the metadata listing. Its only free text is the address, the last column. */
export function parseList(raw: string): InboxRow[] {
  const out = normaliseShellOutput(raw)
  if (checkOutput(out) === 'empty') return []
  const rows: InboxRow[] = []
  for (const line of out.replace(/\n$/, '').split('\n')) {
    const m = LIST_ROW.exec(line)
    if (!m) {
      // An address with a newline is unheard of; keep it rather than lose the row. A line that
      // starts like a row but does not parse is an error, never a guess.
      const last = rows.at(-1)
      if (!last || line.startsWith('Row: ')) {
        throw new VcashError('sms_provider_error', `Unexpected inbox listing from the phone near: ${line.slice(0, 120)}`, {exit: EXIT.unavailable})
      }
      last.address += `\n${line}`
      continue
    }
    const id = parseId(m[2])
    const date = parseTime(m[3])
    if (id === null || date === null || Number(m[1]) !== rows.length) {
      throw new VcashError('sms_provider_error', `Unexpected inbox listing from the phone near: ${line.slice(0, 120)}`, {exit: EXIT.unavailable})
    }
    rows.push({id, date, dateSent: parseTime(m[4]), address: m[5] ?? ''})
  }
  return rows.sort((a, b) => a.id - b.id)
}

const BODY_ROW = /^Row: (\d+) _id=(\d+), date=(-?\d+|NULL), date_sent=(-?\d+|NULL), address=(.*?), body=([\s\S]*)$/

/** Splits bulk output at every line that looks like a row start; callers verify the result. */
export function parseBulk(raw: string): InboxMessage[] {
  const out = normaliseShellOutput(raw)
  if (checkOutput(out) === 'empty') return []
  const chunks = out.replace(/\n$/, '').split(/\n(?=Row: \d+ _id=\d+, date=)/)
  const rows: InboxMessage[] = []
  for (const chunk of chunks) {
    const m = BODY_ROW.exec(chunk)
    const id = parseId(m?.[2])
    const date = parseTime(m?.[3])
    if (!m || id === null || date === null) return [] // caller falls back to one-by-one
    rows.push({id, date, dateSent: parseTime(m[4]), address: m[5] ?? '', body: m[6] ?? ''})
  }
  return rows
}

/** One message by `_id`: everything after `body=` is the body, whatever it contains. */
export function parseOne(raw: string, id: number): InboxMessage | null {
  const out = normaliseShellOutput(raw)
  if (checkOutput(out) === 'empty') return null
  const m = BODY_ROW.exec(out.replace(/\n$/, ''))
  if (!m || m[1] !== '0' || parseId(m[2]) !== id) {
    throw new VcashError('sms_provider_error', `Could not read SMS #${id} from the phone.`, {exit: EXIT.unavailable})
  }
  const date = parseTime(m[3])
  if (date === null) throw new VcashError('sms_provider_error', `SMS #${id} has no receive date.`, {exit: EXIT.unavailable})
  return {id, date, dateSent: parseTime(m[4]), address: m[5] ?? '', body: m[6] ?? ''}
}

function agrees(list: InboxRow[], bulk: InboxMessage[]): boolean {
  if (list.length !== bulk.length) return false
  return list.every((r, i) => {
    const b = bulk[i]
    return b !== undefined && b.id === r.id && b.date === r.date && b.address === r.address && b.dateSent === r.dateSent
  })
}

export interface ReadResult {
  messages: InboxMessage[]
  /** True when the bulk read was ambiguous and each message was read alone. */
  requeried: boolean
}

/**
 * Reads every inbox message matching `q`, oldest first, with bodies exactly as stored.
 * `onProgress` reports (done, total) for the one-by-one path, which can be slow on backfills.
 */
export async function readInbox(shell: ShellFn, q: InboxQuery, onProgress?: (done: number, total: number) => void): Promise<ReadResult> {
  const list = parseList(await shell(listCommand(q)))
  if (list.length === 0) return {messages: [], requeried: false}
  const maxId = list.at(-1)?.id ?? 0
  const bulk = parseBulk(await shell(bulkCommand({...q, maxId})))
  if (agrees(list, bulk)) {
    onProgress?.(list.length, list.length)
    return {messages: bulk, requeried: false}
  }
  const messages: InboxMessage[] = []
  let done = 0
  for (const row of list) {
    const one = parseOne(await shell(oneCommand(row.id)), row.id)
    // Deleted between the two queries: nothing to deliver.
    if (one) messages.push(one)
    onProgress?.(++done, list.length)
  }
  return {messages, requeried: true}
}
