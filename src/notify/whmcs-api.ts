/**
 * A small WHMCS API client: AddCredit, GetCredits and GetClients over
 * `POST {url}/includes/api.php` (form-encoded, `responsetype=json`), plus the pure rules that
 * decide which WHMCS client a payment check names (contract §1, §3, §5).
 *
 * Every call answers a typed result and never throws for anything WHMCS or the network does;
 * it throws only for a caller's bug (an amount or client id that is not well formed). The
 * three outcomes of AddCredit are the heart of it:
 *
 * - `credited`: WHMCS said `result: "success"`.
 * - `refused`: WHMCS (or the web server in front of it) definitely did not add the credit.
 * - `unknown`: the request may have reached WHMCS and we do not know what it did (timeout,
 *   connection dropped, 5xx, an answer that is not JSON). Ask {@link findCredit} before
 *   sending AddCredit again: WHMCS has no idempotency key.
 *
 * Nothing returned or thrown here contains the API secret.
 */
import {interpretWhmcs} from './whmcs.js'

export interface WhmcsConfig {
  /** The WHMCS base URL (the API endpoint is `{url}/includes/api.php`). */
  url: string
  identifier: string
  secret: string
}

export interface WhmcsCallOptions {
  /** Give up after this long (connect + send + answer). Default 10 s. */
  timeoutMs?: number
  /** Abort early (the caller's own deadline). */
  signal?: AbortSignal
  /** Another fetch (a pinned-address agent, tests). Default: the global fetch. */
  fetch?: typeof fetch
}

export type AddCreditResult =
  | {kind: 'credited'; raw: Record<string, unknown>}
  /** Definitely not added. `configError`: the operator must change something before a retry helps. */
  | {kind: 'refused'; configError: boolean; message: string; status: number | null}
  /**
   * The outcome is unknown: ask {@link findCredit} before sending again. `maybeApplied` is false
   * only when the request never left (connection refused, DNS failure): nothing can have been added.
   */
  | {kind: 'unknown'; message: string; maybeApplied: boolean}

export type FindCreditResult =
  | {kind: 'found'; creditId?: number; count: number}
  | {kind: 'absent'}
  | {kind: 'unknown'; message: string; configError: boolean}

export type ResolveClientResult =
  | {kind: 'found'; clientId: string}
  | {kind: 'absent'}
  | {kind: 'ambiguous'; clientIds: string[]}
  | {kind: 'unknown'; message: string; configError: boolean}

/** Which WHMCS client a payment check names. */
export type WhmcsClientRef =
  | {kind: 'id'; clientId: string; source: 'client_id' | 'user_name' | 'display_name'}
  | {kind: 'email'; email: string}
  | {kind: 'none'; reason: string}

export const DEFAULT_WHMCS_TIMEOUT_MS = 10_000
/** More than this is not a WHMCS answer we need; stop reading. */
const MAX_BODY_BYTES = 2 * 1024 * 1024

/** The AddCredit description; it is also how {@link findCredit} recognises our credit. */
export function whmcsDescription(txId: string): string {
  return `VodafoneCash payment - trans_id: ${txId}`
}

// ---------------------------------------------------------------------------------------------
// Which client a check names (pure)
// ---------------------------------------------------------------------------------------------

/** A WHMCS client id: a positive 32-bit integer in ASCII digits, no sign, no leading zero. */
const CLIENT_ID = /^[1-9][0-9]{0,9}$/
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export function isWhmcsClientId(s: string): boolean {
  return CLIENT_ID.test(s) && Number(s) <= 2_147_483_647
}

export function isSaneEmail(s: string): boolean {
  if (s.length > 254 || !EMAIL.test(s)) return false
  const local = s.slice(0, s.lastIndexOf('@'))
  return !local.startsWith('.') && !local.endsWith('.') && !local.includes('..')
}

/**
 * Decide which WHMCS client a check names, from the module's three releases:
 * `client_id=42` (current; `user_name` is then a display name), a numeric `user_name` with no
 * `client_id` (older), and `user_name="Firstname Lastname (email)"` with no `client_id`
 * (v1.4–v1.5, resolve the e-mail through GetClients). A current-release display name
 * `"Firstname Lastname (42)"` without `client_id` also names client 42.
 *
 * Strict: a `client_id` that is present but not a client id names nobody (it does not fall
 * back to `user_name`); only ASCII digits count.
 */
export function parseWhmcsClient(userName: string | null | undefined, clientId?: string | null): WhmcsClientRef {
  const cid = clientId?.trim() ?? ''
  if (cid !== '') {
    return isWhmcsClientId(cid) ? {kind: 'id', clientId: cid, source: 'client_id'} : {kind: 'none', reason: 'client_id is not a WHMCS client id'}
  }
  const name = userName?.trim() ?? ''
  if (name === '') return {kind: 'none', reason: 'neither client_id nor user_name names a client'}
  if (isWhmcsClientId(name)) return {kind: 'id', clientId: name, source: 'user_name'}
  // The last parenthesised group, at the very end: "Mona (Cairo) Ali (42)" → "42".
  const m = /\(([^()]*)\)$/.exec(name)
  if (m) {
    const inner = m[1]!.trim()
    if (isWhmcsClientId(inner)) return {kind: 'id', clientId: inner, source: 'display_name'}
    if (isSaneEmail(inner)) return {kind: 'email', email: inner}
  }
  return {kind: 'none', reason: 'user_name is neither a client id nor "Name (id)" nor "Name (email)"'}
}

// ---------------------------------------------------------------------------------------------
// The API calls
// ---------------------------------------------------------------------------------------------

const AMOUNT = /^(?:0|[1-9][0-9]{0,11})\.[0-9]{2}$/

/**
 * Add `amount` (a decimal string with exactly 2 decimals, > 0) to the client's credit balance.
 * Throws a TypeError for a malformed client id or amount, before anything is sent.
 */
export async function addCredit(cfg: WhmcsConfig, credit: {clientId: string; amount: string; description: string}, opts: WhmcsCallOptions = {}): Promise<AddCreditResult> {
  if (!isWhmcsClientId(credit.clientId)) throw new TypeError(`addCredit: "${credit.clientId.slice(0, 40)}" is not a WHMCS client id`)
  if (!AMOUNT.test(credit.amount) || /^0\.00$/.test(credit.amount)) throw new TypeError(`addCredit: amount "${credit.amount.slice(0, 40)}" must be a positive decimal with 2 places`)
  if (credit.description.trim() === '') throw new TypeError('addCredit: the description is empty')
  const a = await call(cfg, 'AddCredit', {clientid: credit.clientId, description: credit.description, amount: credit.amount}, opts)
  switch (a.kind) {
    case 'unsent':
      return {kind: 'unknown', message: a.message, maybeApplied: false}
    case 'lost':
      return {kind: 'unknown', message: a.message, maybeApplied: true}
    case 'refused':
      return {kind: 'refused', configError: a.configError, message: a.message, status: a.status}
    case 'answer':
      if (a.json.result === 'success') return {kind: 'credited', raw: a.json}
      return {kind: 'unknown', message: `WHMCS answered AddCredit with HTTP ${a.status} but no result: ${excerpt(a.text)}`, maybeApplied: true}
  }
}

/**
 * Has this client a credit with exactly this description (ours: {@link whmcsDescription})?
 * A client WHMCS does not know has no credits: `absent`.
 */
export async function findCredit(cfg: WhmcsConfig, q: {clientId: string; description: string}, opts: WhmcsCallOptions = {}): Promise<FindCreditResult> {
  if (!isWhmcsClientId(q.clientId)) throw new TypeError(`findCredit: "${q.clientId.slice(0, 40)}" is not a WHMCS client id`)
  const a = await call(cfg, 'GetCredits', {clientid: q.clientId}, opts)
  if (a.kind === 'unsent' || a.kind === 'lost') return {kind: 'unknown', message: a.message, configError: false}
  if (a.kind === 'refused') {
    if (/Client ID Not Found/i.test(a.whmcsMessage ?? '')) return {kind: 'absent'}
    return {kind: 'unknown', message: a.message, configError: a.configError}
  }
  if (a.json.result !== 'success') return {kind: 'unknown', message: `WHMCS answered GetCredits with HTTP ${a.status} but no result: ${excerpt(a.text)}`, configError: false}
  const list = listOf(a.json.credits, 'credit')
  if (list === null) return {kind: 'unknown', message: `WHMCS's GetCredits answer has no credit list: ${excerpt(a.text)}`, configError: false}
  const want = q.description.trim()
  const hits = list.filter((c) => typeof c.description === 'string' && decodeEntities(c.description).trim() === want)
  if (hits.length === 0) return {kind: 'absent'}
  const id = Number(hits[0]!.id)
  return Number.isSafeInteger(id) && id > 0 ? {kind: 'found', creditId: id, count: hits.length} : {kind: 'found', count: hits.length}
}

/**
 * The one WHMCS client whose e-mail is `email` (case-insensitive). GetClients' search also
 * matches names and partial e-mails, so only exact e-mail matches count.
 */
export async function resolveClientByEmail(cfg: WhmcsConfig, email: string, opts: WhmcsCallOptions = {}): Promise<ResolveClientResult> {
  const want = email.trim().toLowerCase()
  if (!isSaneEmail(want)) return {kind: 'absent'}
  const a = await call(cfg, 'GetClients', {search: want, limitstart: '0', limitnum: '250'}, opts)
  if (a.kind === 'unsent' || a.kind === 'lost') return {kind: 'unknown', message: a.message, configError: false}
  if (a.kind === 'refused') return {kind: 'unknown', message: a.message, configError: a.configError}
  if (a.json.result !== 'success') return {kind: 'unknown', message: `WHMCS answered GetClients with HTTP ${a.status} but no result: ${excerpt(a.text)}`, configError: false}
  const list = listOf(a.json.clients, 'client')
  if (list === null) return {kind: 'unknown', message: `WHMCS's GetClients answer has no client list: ${excerpt(a.text)}`, configError: false}
  const ids = [...new Set(list.filter((c) => typeof c.email === 'string' && c.email.trim().toLowerCase() === want).map((c) => String(c.id)))]
  if (ids.length > 1) return {kind: 'ambiguous', clientIds: ids}
  if (ids.length === 1) {
    return isWhmcsClientId(ids[0]!) ? {kind: 'found', clientId: ids[0]!} : {kind: 'unknown', message: `WHMCS gave client id "${ids[0]!.slice(0, 20)}" for that e-mail, which is not a client id`, configError: false}
  }
  // Nothing matched among what came back; if WHMCS held some back, we cannot say "absent".
  const total = Number(a.json.totalresults)
  if (Number.isFinite(total) && total > list.length) return {kind: 'unknown', message: `WHMCS found ${total} clients for that search and returned only ${list.length}`, configError: false}
  return {kind: 'absent'}
}

// ---------------------------------------------------------------------------------------------
// One API call, classified
// ---------------------------------------------------------------------------------------------

type Answer =
  /** A JSON object from a 2xx answer (its `result` still to be read). */
  | {kind: 'answer'; status: number; json: Record<string, unknown>; text: string}
  /** Definitely not acted on. */
  | {kind: 'refused'; status: number | null; configError: boolean; message: string; whmcsMessage: string | null}
  /** Never left this machine. */
  | {kind: 'unsent'; message: string}
  /** May have reached WHMCS; its outcome is unknown. */
  | {kind: 'lost'; message: string}

/** Where the API lives: `{url}/includes/api.php`, tolerating a URL that already names it. */
export function whmcsEndpoint(url: string): string {
  return `${url.trim().replace(/\/+$/, '').replace(/\/includes\/api\.php$/i, '')}/includes/api.php`
}

async function call(cfg: WhmcsConfig, action: string, params: Record<string, string>, opts: WhmcsCallOptions): Promise<Answer> {
  const redact = redactor(cfg)
  let endpoint: URL
  try {
    endpoint = new URL(whmcsEndpoint(cfg.url))
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') throw new Error('not http(s)')
  } catch {
    return {kind: 'refused', status: null, configError: true, message: 'The WHMCS URL is not an http(s) URL; set it to your WHMCS address, e.g. https://billing.example.com.', whmcsMessage: null}
  }
  // Never show credentials someone put in the URL.
  endpoint.username = ''
  endpoint.password = ''
  const shown = `${endpoint.origin}${endpoint.pathname}`
  const form = new URLSearchParams({action, identifier: cfg.identifier, secret: cfg.secret, ...params, responsetype: 'json'})
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WHMCS_TIMEOUT_MS
  const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])]
  const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals)
  const doFetch = opts.fetch ?? fetch
  let res: Response
  try {
    res = await doFetch(endpoint, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'vcash/1'},
      body: form.toString(),
      // A redirected POST becomes a GET without the form; report it instead of following.
      redirect: 'manual',
      signal,
    })
  } catch (error) {
    return transportFailure(action, shown, error, timeoutMs, opts.signal, redact)
  }
  let text: string
  try {
    text = redact(await readCapped(res, MAX_BODY_BYTES))
  } catch (error) {
    // The answer started but did not finish: WHMCS may well have acted.
    const t = transportFailure(action, shown, error, timeoutMs, opts.signal, redact)
    return {kind: 'lost', message: t.message}
  }
  const status = res.status
  let json: Record<string, unknown> | null = null
  try {
    const v: unknown = JSON.parse(text)
    if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>
  } catch {
    // WHMCS answers plain text for a few errors, and PHP may print warnings before the JSON.
  }
  if (status >= 300 && status < 400) {
    const to = res.headers.get('location')
    return {kind: 'refused', status, configError: true, message: `WHMCS at ${shown} redirects (HTTP ${status}${to ? ` to ${excerpt(redact(to.split('?')[0]!), 120)}` : ''}); set the WHMCS URL to where it redirects.`, whmcsMessage: null}
  }
  if (status >= 500) return {kind: 'lost', message: `WHMCS answered ${action} with HTTP ${status}: ${excerpt(text)}`}
  const whmcsMessage = json ? (typeof json.message === 'string' ? redact(json.message) : null) : text
  if (json?.result === 'error' || (status >= 400 && status < 500)) {
    return {kind: 'refused', status, ...refusal(action, status, text, whmcsMessage, shown), whmcsMessage}
  }
  // A 2xx plain-text answer that is one of WHMCS's own refusals.
  if (!json && /Invalid IP|Authentication Failed|Client ID Not Found|Invalid Permissions/i.test(text)) {
    return {kind: 'refused', status, ...refusal(action, status, text, whmcsMessage, shown), whmcsMessage}
  }
  if (!json) return {kind: 'lost', message: `WHMCS answered ${action} with HTTP ${status} and no JSON: ${excerpt(text)}`}
  return {kind: 'answer', status, json, text}
}

function refusal(action: string, status: number, text: string, whmcsMessage: string | null, shown: string): {configError: boolean; message: string} {
  const said = whmcsMessage ?? text
  if (/Invalid Permissions|API role|not allowed/i.test(said)) {
    return {configError: true, message: `WHMCS refused ${action} ("${excerpt(said, 120)}"): in WHMCS, System Settings → API Roles, allow ${action} for the role of vcash's API credential.`}
  }
  if (action !== 'AddCredit' && /Authentication Failed/i.test(said)) {
    return {configError: true, message: `WHMCS says "Authentication Failed" to ${action}: the API identifier or secret is wrong, or the credential's role does not allow ${action}.`}
  }
  if (status === 404 || status === 410) return {configError: true, message: `There is no WHMCS API at ${shown} (HTTP ${status}); check the WHMCS URL.`}
  const v = interpretWhmcs(200, JSON.stringify({result: 'error', message: said}))
  if (v.configError) return {configError: true, message: v.message}
  if (status === 401 || status === 403) return {configError: true, message: `WHMCS at ${shown} refused ${action} with HTTP ${status} (a firewall or access rule?): ${excerpt(said)}`}
  return {configError: false, message: `WHMCS refused ${action}${status >= 400 ? ` with HTTP ${status}` : ''}: ${excerpt(said)}`}
}

/** Errors that mean the request never reached the server. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL'])
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/

function transportFailure(action: string, shown: string, error: unknown, timeoutMs: number, callerSignal: AbortSignal | undefined, redact: (s: string) => string): Answer & {kind: 'unsent' | 'lost'} {
  const e = error as {name?: string; message?: string; code?: string; cause?: {code?: string; message?: string}}
  if (e?.name === 'TimeoutError') return {kind: 'lost', message: `WHMCS did not answer ${action} within ${timeoutMs} ms (${shown})`}
  if (e?.name === 'AbortError') {
    return {kind: 'lost', message: callerSignal?.aborted ? `${action} to WHMCS was abandoned before its answer (${shown})` : `WHMCS did not answer ${action} within ${timeoutMs} ms (${shown})`}
  }
  const code = e?.cause?.code ?? e?.code ?? ''
  const detail = redact(e?.cause?.message ?? e?.message ?? String(error))
  if (UNSENT_CODES.has(code)) return {kind: 'unsent', message: `Could not reach WHMCS at ${shown} for ${action}: ${excerpt(detail, 160)}`}
  // The TLS handshake fails before any byte of the request is sent.
  if (TLS_CODE.test(code)) return {kind: 'unsent', message: `The TLS connection to WHMCS at ${shown} failed (${code}): ${excerpt(detail, 160)}`}
  return {kind: 'lost', message: `The connection to WHMCS at ${shown} broke during ${action}${code ? ` (${code})` : ''}: ${excerpt(detail, 160)}`}
}

async function readCapped(res: Response, cap: number): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > cap) {
      await reader.cancel().catch(() => {})
      throw new Error(`the answer is larger than ${cap} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** WHMCS lists come as `{"credits":{"credit":[…]}}`, `{"credit":{…}}` (one), `""` or absent (none). */
function listOf(v: unknown, key: string): Record<string, unknown>[] | null {
  if (v === undefined || v === null || v === '') return []
  if (Array.isArray(v)) return v.filter(isObject)
  if (!isObject(v)) return null
  const inner = v[key]
  if (inner === undefined || inner === null || inner === '') return []
  if (Array.isArray(inner)) return inner.filter(isObject)
  return isObject(inner) ? [inner] : null
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** WHMCS may hand back stored text HTML-escaped. */
function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#0?39|apos);/g, (_m, e: string) => ({amp: '&', lt: '<', gt: '>', quot: '"', '#039': "'", '#39': "'", apos: "'"})[e] ?? _m)
}

/** Blank out the secret (as sent, and form-encoded) wherever it might be echoed. */
function redactor(cfg: WhmcsConfig): (s: string) => string {
  const forms = [...new Set([cfg.secret, encodeURIComponent(cfg.secret), new URLSearchParams({s: cfg.secret}).toString().slice(2)])].filter((f) => f.length >= 4)
  return (s) => forms.reduce((acc, f) => acc.split(f).join('[secret]'), s)
}

function excerpt(s: string, n = 200): string {
  const one = s.replace(/\s+/g, ' ').trim()
  return one.length > n ? `${one.slice(0, n)}…` : one
}
