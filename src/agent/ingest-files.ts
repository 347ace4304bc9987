/**
 * Reads SMS from files for `vcash sms ingest`:
 * - `.txt`  one SMS in the fixture format (parseFixtureText: `From:`, optional `Received:`, body);
 * - `.json` / `.jsonl` / `.ndjson`  one `{"sender","body","received_at"}` per line, or one JSON
 *   document: an array of those, or an SMS Backup & Restore style export (`{"smses":…}` or an
 *   array of `{address, body, date, type}`);
 * - `.xml`  an SMS Backup & Restore backup (`<smses><sms address=… body=… date=… type="1"/>`):
 *   only received messages (type 1) are taken;
 * - directories, recursively (hidden entries skipped; `expected.json`-like files whose content
 *   is not SMS are reported as errors for that file, never fatal).
 * Returns everything it could read plus per-file errors; it never throws for bad content.
 */
import fs from 'node:fs'
import path from 'node:path'

import {XMLParser} from 'fast-xml-parser'

import {parseFixtureText} from '../sms/fixture-file.js'
import {parseSms} from '../sms/parse.js'

export interface IngestInput {
  sender: string
  body: string
  /** ISO-8601, or null when the file does not say (the server then uses "now"). */
  receivedAt: string | null
  /** Where it came from: `file` or `file:line` / `file#index`. */
  origin: string
}

export interface IngestFileError {
  file: string
  /** 1-based line for JSON lines, 0-based index for arrays and XML entries. */
  at?: string
  message: string
}

export interface ReadResult {
  inputs: IngestInput[]
  errors: IngestFileError[]
  /** Entries deliberately left out (sent messages, MMS). */
  skipped: number
  /**
   * Received messages in a phone backup from senders that are not wallets or banks (friends,
   * OTPs, ads): left out like `sms tail` leaves them on the phone, unless keepPersonal.
   */
  personal: number
  files: number
}

export interface ReadOptions {
  /** Keep a backup's messages from non-wallet senders too (the server stores them as ignored). */
  keepPersonal?: boolean
}

type Reading = ReadResult & {keepPersonal: boolean}

const EXTENSIONS = new Set(['.txt', '.json', '.jsonl', '.ndjson', '.xml'])

function isoFrom(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v < 1e11 ? v * 1000 : v).toISOString()
  if (typeof v !== 'string' || v.trim() === '' || v === 'null') return null
  if (/^\d{9,16}$/.test(v.trim())) return isoFrom(Number(v.trim()))
  const t = Date.parse(v)
  return Number.isNaN(t) ? null : new Date(t).toISOString()
}

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

/** `backup`: from a phone's SMS backup, which holds personal messages as well as receipts. */
type Entry = {ok: true; input: Omit<IngestInput, 'origin'>; backup?: boolean} | {ok: false; message: string} | {ok: 'skip'}

/** One JSON record: vcash's own `{sender, body, received_at}` or a Backup & Restore `{address, body, date, type}`. */
function fromRecord(rec: unknown): Entry {
  const o = obj(rec)
  if (!o) return {ok: false, message: 'not a JSON object'}
  if (typeof o.sender === 'string' || typeof o.received_at === 'string') {
    if (typeof o.sender !== 'string' || o.sender.trim() === '') return {ok: false, message: '"sender" must be a non-empty string'}
    if (typeof o.body !== 'string' || o.body === '') return {ok: false, message: '"body" must be a non-empty string'}
    const receivedAt = o.received_at === undefined || o.received_at === null ? null : isoFrom(o.received_at)
    if (o.received_at !== undefined && o.received_at !== null && receivedAt === null) return {ok: false, message: '"received_at" is not an ISO-8601 time'}
    return {ok: true, input: {sender: o.sender.trim(), body: o.body, receivedAt}}
  }
  if (typeof o.address === 'string') {
    // Backup & Restore: type 1 = received; 2 sent, 3 draft, 4 outbox, 5 failed, 6 queued.
    if (o.type !== undefined && String(o.type) !== '1') return {ok: 'skip'}
    if (typeof o.body !== 'string' || o.body === '') return {ok: false, message: '"body" is missing'}
    return {ok: true, input: {sender: o.address.trim(), body: o.body, receivedAt: isoFrom(o.date)}, backup: true}
  }
  return {ok: false, message: 'expected {"sender","body","received_at"} or an SMS Backup & Restore {"address","body","date"}'}
}

/**
 * SMS Backup & Restore writes characters outside the BMP (emoji) as two numeric references to
 * UTF-16 surrogates, which XML parsers drop. Join them into the real character first.
 */
function joinSurrogateRefs(xml: string): string {
  const ref = '&#(?:x([0-9a-fA-F]+)|(\\d+));'
  return xml.replace(new RegExp(`${ref}(?:${ref})?`, 'g'), (all, h1?: string, d1?: string, h2?: string, d2?: string) => {
    const a = h1 ? Number.parseInt(h1, 16) : Number(d1)
    const isHigh = a >= 0xd800 && a <= 0xdbff
    const isLow = (n: number) => n >= 0xdc00 && n <= 0xdfff
    if (!isHigh && !isLow(a)) return all
    if (isHigh && (h2 !== undefined || d2 !== undefined)) {
      const b = h2 ? Number.parseInt(h2, 16) : Number(d2)
      if (isLow(b)) return String.fromCharCode(a, b)
    }
    return '\uFFFD' + all.slice(all.indexOf(';') + 1)
  })
}

function readXml(file: string, text: string, out: Reading): void {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    htmlEntities: true,
    isArray: (name) => name === 'sms' || name === 'mms',
  })
  let doc: unknown
  try {
    doc = parser.parse(joinSurrogateRefs(text), true)
  } catch (error) {
    out.errors.push({file, message: `not valid XML: ${(error as Error).message.split('\n')[0]}`})
    return
  }
  const smses = obj(obj(doc)?.smses)
  if (!smses) {
    out.errors.push({file, message: 'not an SMS Backup & Restore file (no <smses> root)'})
    return
  }
  out.skipped += Array.isArray(smses.mms) ? smses.mms.length : 0
  const list = Array.isArray(smses.sms) ? smses.sms : []
  for (const [i, rec] of list.entries()) collect(out, file, `#${i}`, fromRecord(rec))
}

/** The same test as `sms tail`'s default policy: a receipt, or anything from a wallet/bank sender id. */
function isPersonal(input: {sender: string; body: string}): boolean {
  const parsed = parseSms({sender: input.sender, body: input.body})
  return parsed.kind !== 'receive' && parsed.reason === 'untrusted_sender'
}

function collect(out: Reading, file: string, at: string | undefined, e: Entry): void {
  if (e.ok === 'skip') out.skipped++
  else if (e.ok === true && e.backup && !out.keepPersonal && isPersonal(e.input)) out.personal++
  else if (e.ok) out.inputs.push({...e.input, origin: at ? `${file}${at}` : file})
  else out.errors.push({file, at, message: e.message})
}

function readJson(file: string, text: string, out: Reading): void {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text
  let whole: unknown
  let isWhole = false
  try {
    whole = JSON.parse(src)
    isWhole = true
  } catch {
    // Not one document: JSON lines.
  }
  if (isWhole) {
    if (Array.isArray(whole)) {
      for (const [i, rec] of whole.entries()) collect(out, file, `#${i}`, fromRecord(rec))
      return
    }
    const o = obj(whole)
    const smses = o ? (o.smses ?? o.messages) : undefined
    if (smses !== undefined) {
      const list = Array.isArray(smses) ? smses : (obj(smses)?.sms ?? [])
      if (!Array.isArray(list)) {
        out.errors.push({file, message: '"smses" holds no list of messages'})
        return
      }
      for (const [i, rec] of list.entries()) collect(out, file, `#${i}`, fromRecord(rec))
      return
    }
    collect(out, file, undefined, fromRecord(whole))
    return
  }
  const lines = src.split(/\r?\n/)
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    let rec: unknown
    try {
      rec = JSON.parse(line)
    } catch {
      out.errors.push({file, at: `:${i + 1}`, message: 'not a JSON line'})
      continue
    }
    collect(out, file, `:${i + 1}`, fromRecord(rec))
  }
}

function readOne(file: string, out: Reading): void {
  const ext = path.extname(file).toLowerCase()
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    out.errors.push({file, message: (error as Error).message})
    return
  }
  out.files++
  if (ext === '.txt') {
    try {
      const f = parseFixtureText(text)
      out.inputs.push({sender: f.sender, body: f.body, receivedAt: f.receivedAt, origin: file})
    } catch (error) {
      out.errors.push({file, message: (error as Error).message})
    }
  } else if (ext === '.xml') {
    readXml(file, text, out)
  } else {
    readJson(file, text, out)
  }
}

function walk(dir: string, out: Reading, files: string[]): void {
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(dir, {withFileTypes: true})
  } catch (error) {
    out.errors.push({file: dir, message: (error as Error).message})
    return
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p, out, files)
    else if (e.isFile() && EXTENSIONS.has(path.extname(e.name).toLowerCase())) files.push(p)
  }
}

/** Reads every supported file under the given paths, in a stable (sorted) order. */
export function readSmsFiles(paths: string[], opts: ReadOptions = {}): ReadResult {
  const out: Reading = {inputs: [], errors: [], skipped: 0, personal: 0, files: 0, keepPersonal: opts.keepPersonal ?? false}
  const files: string[] = []
  for (const p of paths) {
    let st: fs.Stats
    try {
      st = fs.statSync(p)
    } catch {
      out.errors.push({file: p, message: 'no such file or directory'})
      continue
    }
    if (st.isDirectory()) walk(p, out, files)
    else if (EXTENSIONS.has(path.extname(p).toLowerCase())) files.push(p)
    else out.errors.push({file: p, message: `unsupported file type "${path.extname(p) || '(none)'}" (use .txt, .json, .jsonl or .xml)`})
  }
  for (const f of files) readOne(f, out)
  return {inputs: out.inputs, errors: out.errors, skipped: out.skipped, personal: out.personal, files: out.files}
}
