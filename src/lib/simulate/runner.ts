import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {Webhook} from 'standardwebhooks'

import {EXIT, VcashError} from '../errors.js'
import {verifySignedQuery} from '../notify/sign.js'
import {AdminClient, runningServer} from '../runtime.js'
import {VcashServer} from '../server/serve.js'
import '../wiring.js'
import {parseMoney} from '../money.js'
import {normalisePhone} from '../phone.js'
import {type Caught, Catcher} from './catcher.js'
import {renderReceipt} from './render.js'
import {interpolate, type Scenario, type Step, stepKind, type StoreSettingsStep} from './scenario.js'

export interface StepResult {
  index: number
  id: string | null
  name: string
  type: string
  ok: boolean
  expected: string
  actual: string
  message: string
  duration_ms: number
}

export interface RunResult {
  scenario: string
  target: string
  ok: boolean
  passed: number
  failed: number
  duration_ms: number
  steps: StepResult[]
}

export interface RemoteTargetOptions {
  server: string
  storeId?: string
  deviceToken?: string
  apiToken?: string
  signingSecret?: string
  /** A data dir whose running server is `server`: unlocks configure and advance_clock. */
  dataDir?: string
}

interface Target {
  description: string
  url: string
  storeId: string
  deviceToken: string
  apiToken: string | null
  signingSecret: string | null
  admin: AdminClient | null
  close(): Promise<void>
}

/** Runs a scenario against a target and reports every step; stops at the first failure. */
export class ScenarioRunner {
  private readonly catcher = new Catcher()
  private readonly results: Record<string, Record<string, unknown>> = {}
  private readonly sms: Record<string, {sender: string; body: string}> = {}
  private target!: Target

  constructor(private readonly opts: {remote?: RemoteTargetOptions; env?: NodeJS.ProcessEnv; onStep?: (r: StepResult) => void; catcherPort?: number}) {}

  async run(scenario: Scenario): Promise<RunResult> {
    const started = Date.now()
    await this.catcher.start(this.opts.catcherPort ?? 0)
    const steps: StepResult[] = []
    try {
      this.target = this.opts.remote ? await remoteTarget(this.opts.remote) : await inProcessTarget()
      if (scenario.store) await this.configure(scenario.store)
      for (const [index, raw] of scenario.steps.entries()) {
        const t0 = Date.now()
        const type = stepKind(raw)
        const base = {index: index + 1, id: raw.id ?? null, name: raw.name ?? `${type}${raw.id ? ` ${raw.id}` : ''}`, type}
        let r: Omit<StepResult, keyof typeof base | 'duration_ms'>
        try {
          const step = interpolate(raw, {steps: this.results, env: this.opts.env ?? process.env})
          r = await this.step(step)
        } catch (error) {
          r = {ok: false, expected: '(the step to run)', actual: error instanceof VcashError ? `${error.code}: ${error.message}` : (error as Error).message, message: error instanceof VcashError && error.suggestion ? error.suggestion : ''}
        }
        const res = {...base, ...r, duration_ms: Date.now() - t0}
        steps.push(res)
        this.opts.onStep?.(res)
        if (!res.ok) break
      }
    } finally {
      await this.catcher.stop()
      await this.target?.close()
    }
    const failed = steps.filter((s) => !s.ok).length
    return {scenario: scenario.name, target: this.target?.description ?? 'none', ok: failed === 0 && steps.length === scenario.steps.length, passed: steps.length - failed, failed, duration_ms: Date.now() - started, steps}
  }

  private remember(step: Step, data: Record<string, unknown>): void {
    if (step.id) this.results[step.id] = data
  }

  private async step(s: Step): Promise<{ok: boolean; expected: string; actual: string; message: string}> {
    if (s.transfer) {
      const phone = normalisePhone(s.transfer.phone, 'transfer.phone')
      const amount = parseMoney(s.transfer.amount, 'transfer.amount')
      const sms = renderReceipt({provider: s.transfer.provider, phone, amount, lang: s.transfer.lang ?? (s.transfer.provider === 'instapay' ? 'en' : 'ar')})
      const r = await this.postSms(sms.sender, sms.body)
      if (s.id) this.sms[s.id] = {sender: sms.sender, body: sms.body}
      this.remember(s, {transaction_id: r.transaction_id, status: r.status, reference: sms.reference || null, outcome: r.outcome})
      return verdict(s.transfer.expect, r.outcome, `${sms.layout} ${s.transfer.provider} ${formatAmount(amount)} EGP from ${phone} → ${r.outcome}${r.transaction_id ? ` ${r.transaction_id}` : ''}`)
    }
    if (s.duplicate) {
      const prev = this.sms[s.duplicate.of]
      if (!prev) throw new VcashError('scenario_reference', `duplicate.of: no transfer step with id "${s.duplicate.of}" has run`, {exit: EXIT.failure})
      const r = await this.postSms(prev.sender, prev.body)
      this.remember(s, {transaction_id: r.transaction_id, outcome: r.outcome})
      return verdict(s.duplicate.expect, r.outcome, `the SMS of ${s.duplicate.of} again → ${r.outcome}`)
    }
    if (s.sms) {
      const r = await this.postSms(s.sms.sender, s.sms.body)
      this.remember(s, {transaction_id: r.transaction_id, outcome: r.outcome, reason: r.reason})
      return verdict(s.sms.expect, r.outcome, `${r.outcome}${r.reason ? ` (${r.reason})` : ''}`)
    }
    if (s.check) {
      const q = new URLSearchParams({store_id: this.target.storeId, amount: s.check.amount, lang: s.check.lang ?? 'en'})
      if (s.check.phone !== undefined) q.set('phone', s.check.phone)
      if (s.check.reference !== undefined) q.set('reference', s.check.reference)
      if (s.check.user_name !== undefined) q.set('user_name', s.check.user_name)
      if (s.check.client_id !== undefined) q.set('client_id', s.check.client_id)
      const headers: Record<string, string> = this.target.apiToken ? {authorization: `Bearer ${this.target.apiToken}`} : {}
      const res = await fetch(`${this.target.url}/api/payment_link_check?${q}`, {headers, signal: AbortSignal.timeout(30_000)})
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
      const actual = checkOutcome(res.status, body)
      this.remember(s, {transaction_id: body.transaction_id ?? null, http_status: res.status, code: body.code ?? null, status: body.status ?? null})
      return verdict(s.check.expect, actual, `HTTP ${res.status} ${JSON.stringify(body)}`)
    }
    if (s.approve || s.reject) {
      const decision = s.approve ? 'approve' : 'reject'
      const d = (s.approve ?? s.reject)!
      const body = s.reject?.reason ? {reason: s.reject.reason} : {}
      const tx = await this.api<{transaction: {id: string; status: string}}>('POST', `/api/transactions/${encodeURIComponent(d.transaction)}/${decision}`, body)
      this.remember(s, {transaction_id: tx.transaction.id, status: tx.transaction.status})
      return verdict(d.expect, tx.transaction.status, `${tx.transaction.id} is ${tx.transaction.status}`)
    }
    if (s.expect_transaction) {
      const tx = await this.api<{transaction: {id: string; status: string}}>('GET', `/api/transactions/${encodeURIComponent(s.expect_transaction.transaction)}`)
      this.remember(s, {transaction_id: tx.transaction.id, status: tx.transaction.status})
      return verdict(s.expect_transaction.status, tx.transaction.status, `${tx.transaction.id} is ${tx.transaction.status}`)
    }
    if (s.advance_clock) {
      if (!this.target.admin) throw needsLocal('advance_clock')
      const r = await this.target.admin.request<{now: string; expired: number}>('POST', '/dev/clock', {advance_ms: s.advance_clock.minutes * 60_000})
      return {ok: true, expected: `clock +${s.advance_clock.minutes} min`, actual: `now ${r.now}, ${r.expired} expired`, message: ''}
    }
    if (s.configure) {
      await this.configure(s.configure)
      return {ok: true, expected: 'store configured', actual: JSON.stringify(s.configure), message: ''}
    }
    if (s.expect_callback) return this.expectCallback(s.expect_callback)
    throw new VcashError('invalid_scenario', 'unknown step', {exit: EXIT.input})
  }

  private async expectCallback(e: NonNullable<Step['expect_callback']>): Promise<{ok: boolean; expected: string; actual: string; message: string}> {
    const deadline = Date.now() + e.within_ms
    const expected = `${e.event} for ${e.transaction} within ${e.within_ms} ms`
    for (;;) {
      const found = this.catcher.seen.map((c) => this.describe(c)).find((d) => d.transaction === e.transaction && d.event === e.event)
      if (found) {
        if (found.verified === false) return {ok: false, expected: `${expected}, correctly signed`, actual: `${found.channel} ${found.event} with a signature that does not verify`, message: ''}
        return {ok: true, expected, actual: `${found.channel} ${found.event}${found.verified ? ' (signature verified)' : ''}`, message: ''}
      }
      if (Date.now() > deadline) {
        const got = this.catcher.seen.map((c) => this.describe(c)).map((d) => `${d.channel} ${d.event} ${d.transaction}`)
        return {ok: false, expected, actual: got.length > 0 ? `only: ${got.join('; ')}` : 'no callback arrived', message: this.opts.remote && !this.target.admin ? `The store's callback URL must point at ${this.catcher.url}/webhook (or /get, /whmcs) for the run to see it.` : ''}
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  /** What a caught request was, and whether its signature verifies. */
  private describe(c: Caught): {channel: string; event: string; transaction: string; verified: boolean | null} {
    const secret = this.target.signingSecret
    if (c.path === '/webhook') {
      const p = JSON.parse(c.body) as {type?: string; data?: {id?: string}}
      return {channel: 'webhook', event: String(p.type), transaction: String(p.data?.id), verified: secret ? webhookSigned(c, secret) : null}
    }
    if (c.path === '/get') {
      const q = new URLSearchParams(c.query)
      return {channel: 'get', event: q.get('status') === 'COMPLETED' ? 'transaction.completed' : 'unknown', transaction: q.get('trans_id') ?? '', verified: secret ? verifySignedQuery(c.query, secret) : null}
    }
    if (c.path === '/whmcs/includes/api.php') {
      const f = new URLSearchParams(c.body)
      const m = /trans_id: (\S+)/.exec(f.get('description') ?? '')
      return {channel: 'whmcs', event: f.get('action') === 'AddCredit' ? 'transaction.completed' : 'unknown', transaction: m?.[1] ?? '', verified: null}
    }
    return {channel: 'other', event: 'unknown', transaction: '', verified: null}
  }

  private async configure(c: StoreSettingsStep): Promise<void> {
    if (!this.target.admin) throw needsLocal('configure')
    const patch: Record<string, unknown> = {}
    if (c.callback) {
      patch.mode = 'development'
      patch.callback = c.callback === 'none' ? {kind: 'none'} : c.callback === 'whmcs'
        ? {kind: 'whmcs', url: `${this.catcher.url}/whmcs`, identifier: 'simulate', secret: 'simulate'}
        : {kind: c.callback, url: `${this.catcher.url}/${c.callback}`}
    }
    if (c.anti_spam) {
      const a = c.anti_spam
      patch.antiSpam = {
        ...(a.enabled === undefined ? {} : {enabled: a.enabled}),
        ...(a.amount_over === undefined ? {} : {amountOver: a.amount_over}),
        ...(a.first_payment === undefined ? {} : {firstPayment: a.first_payment}),
        ...(a.failed_checks_before === undefined ? {} : {failedChecksBefore: a.failed_checks_before}),
        ...(a.duplicate_pending === undefined ? {} : {duplicatePending: a.duplicate_pending}),
      }
    }
    if (c.rate !== undefined) patch.rate = c.rate
    if (c.currency_label !== undefined) patch.currencyLabel = c.currency_label
    if (c.match_window_minutes !== undefined) patch.matchWindowMinutes = c.match_window_minutes
    await this.target.admin.request('PATCH', `/stores/${encodeURIComponent(this.target.storeId)}`, patch)
  }

  private async postSms(sender: string, body: string): Promise<{outcome: string; transaction_id: string | null; status: string | null; reason: string | null}> {
    const res = await fetch(`${this.target.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${this.target.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender, body}), signal: AbortSignal.timeout(30_000)})
    const json = (await res.json().catch(() => ({}))) as {outcome?: string; transaction?: {id: string; status: string} | null; reason?: string | null; code?: string; message?: string}
    if (!res.ok) throw new VcashError(json.code ?? 'server_error', `POST /api/sms answered ${res.status}: ${json.message ?? ''}`, {exit: EXIT.failure})
    return {outcome: json.outcome ?? 'unknown', transaction_id: json.transaction?.id ?? null, status: json.transaction?.status ?? null, reason: json.reason ?? null}
  }

  private async api<T>(method: string, p: string, body?: unknown): Promise<T> {
    if (!this.target.apiToken) throw new VcashError('missing_flags', 'this step needs the store API token', {exit: EXIT.usage, suggestion: 'Pass --api-token (or VCASH_API_TOKEN).'})
    const res = await fetch(`${this.target.url}${p}`, {method, headers: {authorization: `Bearer ${this.target.apiToken}`, ...(body ? {'content-type': 'application/json'} : {})}, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(30_000)})
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>
    if (!res.ok) throw new VcashError(String(json.code ?? 'server_error'), `${method} ${p} answered ${res.status}: ${String(json.message ?? '')}`, {exit: EXIT.failure})
    return json as T
  }
}

/**
 * The signature check of Standard Webhooks without its 5-minute freshness window: a simulated
 * clock advance signs events "in the future", which is right for the run, not for a replay check.
 */
function webhookSigned(c: Caught, secret: string): boolean {
  const id = c.headers['webhook-id']
  const ts = Number(c.headers['webhook-timestamp'])
  if (!id || !Number.isFinite(ts)) return false
  const expected = new Webhook(secret).sign(id, new Date(ts * 1000), c.body)
  return (c.headers['webhook-signature'] ?? '').split(' ').includes(expected)
}

function verdict(expected: string, actual: string | null, detail: string): {ok: boolean; expected: string; actual: string; message: string} {
  return {ok: expected === actual, expected, actual: actual ?? 'nothing', message: detail}
}

function checkOutcome(http: number, body: Record<string, unknown>): string {
  if (http === 429) return 'rate_limited'
  if (http === 400) return 'invalid_input'
  if (body.status === true) return 'completed'
  if (body.requires_verification === true) return 'requires_verification'
  return String(body.code ?? `http_${http}`)
}

function formatAmount(p: number): string {
  return `${Math.trunc(p / 100)}.${String(p % 100).padStart(2, '0')}`
}

function needsLocal(what: string): VcashError {
  return new VcashError('unsupported_step', `${what} needs control of the server: run in-process (no --server), or against a local \`vcash serve --dev\` with --data-dir`, {exit: EXIT.failure})
}

async function inProcessTarget(): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-simulate-'))
  const server = await VcashServer.start({dataDir, host: '127.0.0.1', port: 0, dev: true, trustProxy: []})
  const dev = server.devStore!
  const admin = runningServer(dataDir)
  return {
    description: `in-process ${server.url}`,
    url: server.url,
    storeId: dev.store.id,
    deviceToken: dev.deviceToken,
    apiToken: dev.apiToken,
    signingSecret: dev.store.signingSecret,
    admin: admin ? new AdminClient(admin) : null,
    async close() {
      await server.close()
      fs.rmSync(dataDir, {recursive: true, force: true})
    },
  }
}

async function remoteTarget(o: RemoteTargetOptions): Promise<Target> {
  const info = o.dataDir ? runningServer(o.dataDir) : null
  const admin = info && sameServer(info.url, o.server) ? new AdminClient(info) : null
  let storeId = o.storeId
  if (!storeId && admin) {
    const {stores} = await admin.request<{stores: {id: string}[]}>('GET', '/stores')
    if (stores.length === 1) storeId = stores[0]!.id
  }
  if (!storeId) throw new VcashError('missing_flags', 'against --server, say which store', {suggestion: 'Pass --store (or VCASH_STORE).'})
  if (!o.deviceToken) throw new VcashError('missing_flags', 'against --server, transfers need the store\'s device token', {suggestion: 'Pass --device-token (or VCASH_DEVICE_TOKEN).'})
  const secret = o.signingSecret ?? (admin ? (await admin.request<{signing_secret: string}>('GET', `/stores/${encodeURIComponent(storeId)}/secret`)).signing_secret : null)
  return {description: o.server, url: o.server.replace(/\/$/, ''), storeId, deviceToken: o.deviceToken, apiToken: o.apiToken ?? null, signingSecret: secret, admin, close: async () => {}}
}

function sameServer(a: string, b: string): boolean {
  try {
    const x = new URL(a)
    const y = new URL(b)
    const local = (h: string) => (h === 'localhost' || h === '127.0.0.1' || h === '[::1]' ? 'loopback' : h)
    return local(x.hostname) === local(y.hostname) && x.port === y.port
  } catch {
    return false
  }
}
