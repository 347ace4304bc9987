import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {Webhook} from 'standardwebhooks'

import {BugError, EXIT, VcashError} from '../core/errors.js'
import type {PayTo} from '../core/model.js'
import {verifySignedQuery} from '../notify/sign.js'
import {AdminClient} from '../agent/admin-client.js'
import {listCallbacks} from '../notify/admin.js'
import {type LocalVcash, openLocal} from '../app/runtime.js'
import {runningServer} from '../io/admin-info.js'
import {VcashServer} from '../server/serve.js'
import {formatMoney, parseMoney, type Piastres} from '../core/money.js'
import {settingsOf} from '../core/store-settings.js'
import {normalisePhone} from '../core/phone.js'
import {type Caught, Catcher, FAKE_WHMCS} from './catcher.js'
import {parsePayTo, walletGateHint} from './pay-to.js'
import {defaultLang, ownWallet, renderReceipt} from './render.js'
import {interpolate, parseDuration, type Scenario, type ScenarioTarget, type Step, type StepKind, stepKind, type StoreSettingsStep} from './scenario.js'

export interface StepResult {
  index: number
  id: string | null
  name: string
  type: StepKind
  ok: boolean
  expected: string
  actual: string
  message: string
  duration_ms: number
}

export interface RunResult {
  scenario: string
  target: string
  /** The store the run used; on a shared server, the one it made (then put out of use). */
  store_id: string | null
  /** True when the run made that store itself (see THROWAWAY_DONE). */
  throwaway_store: boolean
  ok: boolean
  passed: number
  failed: number
  /** Steps after the first failure do not run: their effects would be meaningless. */
  skipped: number
  duration_ms: number
  steps: StepResult[]
  /** The first failed step in one line: step, expectation, what came back. */
  failure: string | null
}

/** Where to run; every field also comes from the scenario's `target:` block (these win). */
export interface TargetOptions {
  /** A running vcash; without it (here or in the scenario) the run hosts its own server. */
  server?: string
  storeId?: string
  deviceToken?: string
  apiToken?: string
  signingSecret?: string
  /** The data dir of the local server at `server`: unlocks configure, advance_clock and delivery records. */
  dataDir?: string
  catcherPort?: number
  /** The store's receiving wallets the receipts are credited to; default: its pay_to where the run can read it. */
  payTo?: readonly PayTo[]
}

export interface RunnerOptions {
  target?: TargetOptions
  env?: NodeJS.ProcessEnv
  onStepStart?: (s: {index: number; name: string; type: StepKind}) => void
  onStep?: (r: StepResult) => void
}

interface Target {
  description: string
  url: string
  storeId: string
  deviceToken: string
  apiToken: string | null
  signingSecret: string | null
  /** The server's admin API: tells whether it runs with --dev (advance_clock needs that). */
  admin: AdminClient | null
  /** The server's data dir: store settings and delivery records are read in its ledger. */
  dataDir: string | null
  /** Set when the run made its store itself (a shared server): put out of use at the end. */
  throwaway: boolean
  /**
   * The store's receiving wallets, where the run can read them (not through --server alone, where
   * --pay-to tells them): receipts name one, as a real one would; a random wallet is held by the
   * receiving-wallet gate.
   */
  payTo: readonly PayTo[] | undefined
  close(): Promise<void>
}

async function withLedger<T>(dataDir: string, fn: (l: LocalVcash) => Promise<T>): Promise<T> {
  const l = await openLocal({dataDir, holder: 'simulate'})
  try {
    return await fn(l)
  } finally {
    await l.close()
  }
}

type Verdict = Pick<StepResult, 'ok' | 'expected' | 'actual' | 'message'>

/** Where the store's notifications are going, as far as this run knows. */
type CallbackSink = 'catcher' | 'merchant' | 'unknown'

/** In-process, PENDING transfers dated in the past expire within this, not the server's 30 s. */
const IN_PROCESS_SWEEP_MS = 200

/** Runs a scenario against a target and reports every step; stops at the first failure. */
export class ScenarioRunner {
  private readonly catcher = new Catcher()
  private readonly results: Record<string, Record<string, unknown>> = {}
  private readonly sms: Record<string, {sender: string; body: string; received_at: string | null}> = {}
  private target!: Target
  private sink: CallbackSink = 'unknown'
  /**
   * How far advance_clock steps moved this run's clock. Only the run's store sees it: its
   * transfers are dated on it and its expiry is judged on it; the server's clock never moves.
   */
  private clockOffsetMs = 0
  /** The simulated wallets' balances (in-process runs): each receipt continues its wallet's balance chain. */
  private balances: Map<string, Piastres> | null = null
  /** The receiving wallets the run was told (--pay-to, target.pay_to): they win over the store's. */
  private payToGiven: readonly PayTo[] | undefined
  /** Set when the server held one of the run's receipts at the receiving-wallet gate: later failures say so. */
  private walletHeld: string | null = null

  constructor(private readonly opts: RunnerOptions = {}) {}

  private used = false

  /** One scenario per runner: step results, caught callbacks and the clock belong to that run. */
  async run(scenario: Scenario): Promise<RunResult> {
    if (this.used) throw new BugError('a ScenarioRunner runs one scenario; create another')
    this.used = true
    const started = Date.now()
    const env = this.opts.env ?? process.env
    const t = resolveTarget(scenario.target, this.opts.target, env)
    this.payToGiven = t.payTo
    const steps: StepResult[] = []
    try {
      await this.catcher.start(t.catcherPort ?? 0)
      this.target = t.server ? await remoteTarget({...t, server: t.server}, scenario.name) : await inProcessTarget()
      // A fresh in-process server knows no balances: the run keeps them. A remote one may have
      // seen the wallet before, so its receipts show none (a made-up one would look forged).
      this.balances = t.server ? null : new Map()
      if (scenario.store) await this.configure(interpolate(scenario.store, {steps: {}, env}))
      for (const [index, raw] of scenario.steps.entries()) {
        const t0 = Date.now()
        const type = stepKind(raw)
        const base = {index: index + 1, id: raw.id ?? null, name: raw.name ?? `${type}${raw.id ? ` ${raw.id}` : ''}`, type}
        this.opts.onStepStart?.(base)
        let r: Verdict
        try {
          r = await this.step(interpolate(raw, {steps: this.results, env}))
        } catch (error) {
          r = {ok: false, expected: `the ${type} step to run`, actual: error instanceof VcashError ? `${error.code}: ${error.message}` : (error as Error).message, message: error instanceof VcashError && error.suggestion ? error.suggestion : ''}
        }
        // A held receipt is why a claim, a state or a callback did not come: say so where it shows.
        if (!r.ok && this.walletHeld && (type === 'check' || type === 'expect_transaction' || type === 'expect_callback')) r = {...r, message: [r.message, this.walletHeld].filter(Boolean).join('\n')}
        const res: StepResult = {...base, ...r, duration_ms: Date.now() - t0}
        steps.push(res)
        this.opts.onStep?.(res)
        if (!res.ok) break
      }
    } finally {
      await this.catcher.stop()
      await this.target?.close()
    }
    const failed = steps.filter((s) => !s.ok)
    const first = failed[0]
    return {
      scenario: scenario.name,
      target: this.target.description,
      store_id: this.target.storeId ?? null,
      throwaway_store: this.target.throwaway,
      ok: failed.length === 0 && steps.length === scenario.steps.length,
      passed: steps.length - failed.length,
      failed: failed.length,
      skipped: scenario.steps.length - steps.length,
      duration_ms: Date.now() - started,
      steps,
      failure: first ? `step ${first.index} (${first.name}) failed: expected ${first.expected}, got ${first.actual}` : null,
    }
  }

  /** InstaPay arrivals land in the Vodafone Cash wallet: one balance for both. */
  private nextBalance(provider: string, amount: Piastres): Piastres | null {
    if (!this.balances) return null
    const wallet = provider === 'instapay' ? 'vodafone_cash' : provider
    const next = (this.balances.get(wallet) ?? 100_000 * (1 + this.balances.size)) + amount
    this.balances.set(wallet, next)
    return next
  }

  private remember(step: Step, data: Record<string, unknown>): void {
    if (step.id) this.results[step.id] = data
  }

  private async step(s: Step): Promise<Verdict> {
    if (s.transfer) {
      const phone = normalisePhone(s.transfer.phone, 'transfer.phone')
      const amount = parseMoney(s.transfer.amount, 'transfer.amount')
      // A phone always knows when it received an SMS: it tells two equal dateless receipts (e& EA-R2) apart.
      const receivedAt = this.receivedAt(s.transfer.received_at) ?? this.now().toISOString()
      const sms = renderReceipt({provider: s.transfer.provider, layout: s.transfer.layout, phone, amount, lang: s.transfer.lang ?? defaultLang(s.transfer.provider), at: new Date(receivedAt), balance: this.nextBalance(s.transfer.provider, amount), wallet: ownWallet(this.payToGiven ?? this.target.payTo, s.transfer.provider)})
      const r = await this.postSms(sms.sender, sms.body, receivedAt)
      if (s.id) this.sms[s.id] = {sender: sms.sender, body: sms.body, received_at: receivedAt}
      this.remember(s, {transaction_id: r.transaction_id, status: r.status, reference: sms.reference || null, outcome: r.outcome, phone, amount: formatMoney(amount)})
      const hint = walletGateHint(r.holds, this.payToGiven)
      if (hint) this.walletHeld = `${r.transaction_id ?? 'a transfer'} was ${hint}`
      return verdict(s.transfer.expect, r.outcome, `${sms.layout} ${s.transfer.provider} ${formatMoney(amount)} EGP from ${phone} → ${r.outcome}${r.transaction_id ? ` ${r.transaction_id}` : ''}${hint ? `, ${hint}` : ''}`)
    }
    if (s.duplicate) {
      const prev = this.sms[s.duplicate.of]
      if (!prev) throw new VcashError('scenario_reference', `duplicate.of: no transfer step with id "${s.duplicate.of}" has run`, {exit: EXIT.failure})
      const r = await this.postSms(prev.sender, prev.body, prev.received_at)
      this.remember(s, {transaction_id: r.transaction_id, outcome: r.outcome})
      return verdict(s.duplicate.expect, r.outcome, `the SMS of ${s.duplicate.of} again → ${r.outcome}`)
    }
    if (s.sms) {
      const r = await this.postSms(s.sms.sender, s.sms.body, this.receivedAt(s.sms.received_at))
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
      let res!: Response
      let body: Record<string, unknown> = {}
      for (let i = 0; i < s.check.repeat; i++) {
        res = await this.fetch(`/api/payment_link_check?${q}`, {headers})
        body = (await res.json().catch(() => ({}))) as Record<string, unknown>
      }
      const outcome = checkOutcome(res.status, body)
      const txId = typeof body.transaction_id === 'string' ? body.transaction_id : null
      this.remember(s, {transaction_id: txId, http_status: res.status, code: body.code ?? null, status: body.status ?? null, message: body.message ?? null})
      const want = s.check.transaction
      const expected = want ? `${s.check.expect} ${want}` : s.check.expect
      const actual = want ? `${outcome} ${txId ?? '(no transaction)'}` : outcome
      // On a miss the whole answer is what came back; on a hit its gist is enough.
      const gist = `HTTP ${res.status}${typeof body.message === 'string' ? ` "${body.message}"` : ''}${txId ? ` ${txId}` : ''}${s.check.repeat > 1 ? ` (answer ${s.check.repeat} of ${s.check.repeat})` : ''}`
      return verdict(expected, actual, expected === actual ? gist : `HTTP ${res.status} ${JSON.stringify(body)}`)
    }
    if (s.approve || s.reject) {
      const decision = s.approve ? 'approve' : 'reject'
      const d = (s.approve ?? s.reject)!
      const body = s.reject?.reason ? {reason: s.reject.reason} : {}
      const tx = await this.api<{transaction: {id: string; status: string}}>('POST', `/api/transactions/${encodeURIComponent(d.transaction)}/${decision}`, body)
      this.remember(s, {transaction_id: tx.transaction.id, status: tx.transaction.status})
      return verdict(d.expect, tx.transaction.status, `${tx.transaction.id} is ${tx.transaction.status}`)
    }
    if (s.expect_transaction) return this.expectTransaction(s, s.expect_transaction)
    if (s.advance_clock) {
      const ms = s.advance_clock.duration ?? s.advance_clock.minutes! * 60_000
      if (ms <= 0) throw new VcashError('invalid_scenario', 'advance_clock: the clock only moves forward', {exit: EXIT.input})
      const r = await this.advanceClock(ms)
      return {ok: true, expected: `clock +${human(ms)}, expiry sweep run`, actual: `now ${r.now}, ${r.expired} expired`, message: ''}
    }
    if (s.configure) {
      await this.configure(s.configure)
      return {ok: true, expected: 'store configured', actual: JSON.stringify(s.configure), message: ''}
    }
    if (s.expect_callback) return this.expectCallback(s.expect_callback)
    throw new VcashError('invalid_scenario', 'unknown step', {exit: EXIT.input})
  }

  /** The run's clock: real time plus its advance_clock steps. */
  private now(): Date {
    return new Date(Date.now() + this.clockOffsetMs)
  }

  /** "-25h" → that long before the run's clock; an ISO time as is; nothing → the run's now (the server's when the clock never moved). */
  private receivedAt(spec: string | undefined): string | null {
    if (spec === undefined) return this.clockOffsetMs === 0 ? null : this.now().toISOString()
    if (/^\s*[+-]?\s*\d/.test(spec) && !/^\d{4}-\d\d-\d\d/.test(spec)) {
      let ms: number
      try {
        ms = parseDuration(spec)
      } catch (error) {
        throw new VcashError('invalid_scenario', `received_at: ${(error as Error).message}`, {exit: EXIT.input})
      }
      return new Date(this.now().getTime() + ms).toISOString()
    }
    const d = new Date(spec)
    if (Number.isNaN(d.getTime())) throw new VcashError('invalid_scenario', `received_at: "${spec}" is neither an offset (-25h) nor an ISO time`, {exit: EXIT.input})
    return d.toISOString()
  }

  /**
   * Move the run's clock and expire what is past its window on it: a sweep of the run's own
   * store in the server's ledger, never the server's clock (other stores' PENDING transfers and
   * real SMS keep real time). Only against a `serve --dev` (or in-process), as the docs say.
   */
  private async advanceClock(ms: number): Promise<{now: string; expired: number}> {
    const {admin, dataDir, storeId} = this.target
    if (!admin || !dataDir) throw unsupported('advance_clock', this.target)
    if (!(await this.devServer(admin))) {
      throw new VcashError('unsupported_step', `advance_clock is unsupported against ${this.target.url}: that server was not started with --dev, so its clock cannot move`, {
        exit: EXIT.failure,
        suggestion: 'Run the scenario in-process (no --server), or start the server with `vcash serve --dev`. To test expiry against any server, date a transfer in the past (received_at: -25h) and expect EXPIRED within the server\'s 30 s sweep.',
      })
    }
    this.clockOffsetMs += ms
    const expired = await withLedger(dataDir, ({service}) => service.expireDue(1000, {storeId, aheadMs: this.clockOffsetMs}))
    return {now: this.now().toISOString(), expired}
  }

  private isDev: boolean | null = null

  /** Whether the server has its --dev admin routes (404 without). Asked once, with no effect: it moves nothing by 0 ms. */
  private async devServer(admin: AdminClient): Promise<boolean> {
    if (this.isDev !== null) return this.isDev
    try {
      await admin.request('POST', '/dev/clock', {advance_ms: 0})
      this.isDev = true
    } catch (error) {
      if (!(error instanceof VcashError && error.http === 404)) throw error
      this.isDev = false
    }
    return this.isDev
  }

  private async expectTransaction(s: Step, e: NonNullable<Step['expect_transaction']>): Promise<Verdict> {
    const started = Date.now()
    const deadline = started + (e.within ?? 0)
    for (let polls = 1; ; polls++) {
      const tx = await this.api<{transaction: {id: string; status: string}}>('GET', `/api/transactions/${encodeURIComponent(e.transaction)}`)
      this.remember(s, {transaction_id: tx.transaction.id, status: tx.transaction.status})
      if (tx.transaction.status === e.status || Date.now() >= deadline) {
        const waited = polls > 1 ? ` after ${Date.now() - started} ms` : ''
        return verdict(e.status, tx.transaction.status, `${tx.transaction.id} is ${tx.transaction.status}${waited}${e.within && tx.transaction.status !== e.status ? ` (waited ${human(e.within)})` : ''}`)
      }
      await sleep(100)
    }
  }

  private async expectCallback(e: NonNullable<Step['expect_callback']>): Promise<Verdict> {
    const within = e.within ?? e.within_ms ?? 10_000
    const deadline = Date.now() + within
    const what = `${e.channel ? `${e.channel} ` : ''}${e.event} for ${e.transaction}`
    const expected = `${what} within ${human(within)}`
    // Merchant mode reads the server's delivery records: the merchant's URL answered 2xx.
    const records = this.sink !== 'catcher' && this.target.dataDir !== null
    if (this.sink === 'merchant' && !records) throw unsupported('expect_callback at the merchant\'s URL', this.target)
    let lastRecords: {event: string; channel: string; state: string; last_error: string | null}[] = []
    for (;;) {
      const found = this.catcher.seen.map((c) => this.describe(c)).find((d) => d.transaction === e.transaction && d.event === e.event && (!e.channel || d.channel === e.channel))
      if (found) {
        if (found.refused) return {ok: false, expected, actual: `${found.channel} call refused by the fake WHMCS: ${found.refused}`, message: found.detail ?? ''}
        if (found.verified === false) return {ok: false, expected: `${expected}, correctly signed`, actual: `${found.channel} ${found.event} with a signature that does not verify`, message: 'The signing secret the run verifies with (--signing-secret) differs from the store\'s.'}
        return {ok: true, expected, actual: `${found.channel} ${found.event} at the catcher${found.verified ? ' (signature verified)' : ''}`, message: found.detail ?? ''}
      }
      if (records) {
        const callbacks = await withLedger(this.target.dataDir!, ({storage}) => listCallbacks(storage, {transactionId: e.transaction}))
        lastRecords = callbacks
        const hit = callbacks.find((c) => c.event === e.event && (!e.channel || c.channel === e.channel) && c.state === 'delivered')
        if (hit) {
          const a = [...hit.attempts].reverse().find((x) => x.status !== null && x.status >= 200 && x.status < 300)
          return {ok: true, expected, actual: `${hit.channel} ${hit.event} delivered${a ? ` to ${a.url} (HTTP ${a.status})` : ''}`, message: ''}
        }
      }
      if (Date.now() > deadline) {
        const got = [
          ...this.catcher.seen.map((c) => this.describe(c)).map((d) => `${d.channel} ${d.event} ${d.transaction} at the catcher`),
          ...lastRecords.map((c) => `${c.channel} ${c.event} ${c.state}${c.last_error ? ` (${c.last_error})` : ''}`),
        ]
        const hint = this.sink === 'unknown' && !records ? `Point the store's callback URL at ${this.catcher.url}/webhook (or /get, /whmcs), e.g. with --catcher-port, for the run to see it.` : ''
        return {ok: false, expected, actual: got.length > 0 ? `only: ${got.join('; ')}` : 'no callback arrived', message: hint}
      }
      await sleep(25)
    }
  }

  /** What a caught request was, and whether its signature verifies. */
  private describe(c: Caught): {channel: string; event: string; transaction: string; verified: boolean | null; detail?: string; refused?: string | null} {
    const secret = this.target.signingSecret
    if (c.path === '/webhook') {
      let p: {type?: string; data?: {id?: string}} = {}
      try {
        p = JSON.parse(c.body) as typeof p
      } catch {
        // Not our JSON: reported as an unknown event below.
      }
      return {channel: 'webhook', event: String(p.type ?? 'unknown'), transaction: String(p.data?.id ?? ''), verified: secret ? webhookSigned(c, secret) : null}
    }
    if (c.path === '/get') {
      const q = new URLSearchParams(c.query)
      // GET callbacks are sent for completions only (notify/events.ts channelWants).
      return {channel: 'get', event: q.get('status') === 'COMPLETED' ? 'transaction.completed' : 'unknown', transaction: q.get('trans_id') ?? '', verified: secret ? verifySignedQuery(c.query, secret) : null, detail: `amount=${q.get('amount') ?? ''} converted_amount=${q.get('converted_amount') ?? ''} ${q.get('currency_label') ?? ''}`.trim()}
    }
    if (c.path === '/whmcs/includes/api.php') {
      const f = new URLSearchParams(c.body)
      const m = /trans_id: (\S+)/.exec(f.get('description') ?? '')
      return {channel: 'whmcs', event: f.get('action') === 'AddCredit' ? 'transaction.completed' : 'unknown', transaction: m?.[1] ?? '', verified: null, refused: c.refused, detail: `AddCredit clientid=${f.get('clientid') ?? ''} amount=${f.get('amount') ?? ''}`}
    }
    return {channel: 'other', event: 'unknown', transaction: '', verified: null}
  }

  private async configure(c: StoreSettingsStep): Promise<void> {
    const dataDir = this.target.dataDir
    if (!dataDir) throw unsupported('configure (and a scenario `store:` block)', this.target)
    const patch: Record<string, unknown> = {}
    if (c.callback !== undefined) {
      // Loopback callbacks (the catcher, a local merchant) are allowed in development mode only.
      patch.mode = 'development'
      if (typeof c.callback === 'string') {
        patch.callback = c.callback === 'none' ? {kind: 'none'} : c.callback === 'whmcs'
          ? {kind: 'whmcs', url: `${this.catcher.url}/whmcs`, ...FAKE_WHMCS}
          : {kind: c.callback, url: `${this.catcher.url}/${c.callback}`}
        this.sink = c.callback === 'none' ? 'unknown' : 'catcher'
      } else {
        patch.callback = c.callback
        this.sink = 'merchant'
      }
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
    this.target.payTo = (await withLedger(dataDir, ({service}) => service.updateStore(this.target.storeId, patch))).payTo
  }

  private async fetch(p: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${this.target.url}${p}`, {...init, signal: AbortSignal.timeout(30_000)})
    } catch (error) {
      throw new VcashError('server_unreachable', `cannot reach ${this.target.url}: ${(error as Error).message}`, {exit: EXIT.unavailable})
    }
  }

  private async postSms(sender: string, body: string, receivedAt: string | null): Promise<{outcome: string; transaction_id: string | null; status: string | null; reason: string | null; holds: unknown}> {
    const res = await this.fetch('/api/sms', {method: 'POST', headers: {authorization: `Bearer ${this.target.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender, body, ...(receivedAt ? {received_at: receivedAt} : {})})})
    const json = (await res.json().catch(() => ({}))) as {outcome?: string; transaction?: {id: string; status: string; holds?: unknown} | null; reason?: string | null; code?: string; message?: string}
    if (!res.ok) throw new VcashError(json.code ?? 'server_error', `POST /api/sms answered ${res.status}: ${json.message ?? ''}`, {exit: EXIT.failure})
    return {outcome: json.outcome ?? 'unknown', transaction_id: json.transaction?.id ?? null, status: json.transaction?.status ?? null, reason: json.reason ?? null, holds: json.transaction?.holds}
  }

  private async api<T>(method: string, p: string, body?: unknown): Promise<T> {
    if (!this.target.apiToken) throw new VcashError('missing_flags', 'this step needs the store API token', {exit: EXIT.usage, suggestion: 'Pass --api-token (or VCASH_API_TOKEN, or target.api_token in the scenario).'})
    const res = await this.fetch(p, {method, headers: {authorization: `Bearer ${this.target.apiToken}`, ...(body ? {'content-type': 'application/json'} : {})}, body: body ? JSON.stringify(body) : undefined})
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>
    if (!res.ok) throw new VcashError(String(json.code ?? 'server_error'), `${method} ${p} answered ${res.status}: ${String(json.message ?? '')}`, {exit: EXIT.failure})
    return json as T
  }
}

/** Flags (and their env vars) win over the scenario's `target:` block, whose strings may use `${env.NAME}`. */
export function resolveTarget(fromScenario: ScenarioTarget | undefined, fromFlags: TargetOptions | undefined, env: NodeJS.ProcessEnv): TargetOptions {
  const s = fromScenario ? interpolate(fromScenario, {steps: {}, env}) : {}
  const f = fromFlags ?? {}
  const server = f.server ?? s.server
  if (server !== undefined) {
    let u: URL
    try {
      u = new URL(server)
    } catch {
      throw new VcashError('invalid_scenario', `target.server "${server}" is not a URL`, {exit: EXIT.input})
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new VcashError('invalid_scenario', 'target.server must be an http:// or https:// URL', {exit: EXIT.input})
  }
  return {
    server: server?.replace(/\/$/, ''),
    storeId: f.storeId ?? s.store,
    deviceToken: f.deviceToken ?? s.device_token,
    apiToken: f.apiToken ?? s.api_token,
    signingSecret: f.signingSecret ?? s.signing_secret,
    dataDir: f.dataDir ?? (s.data_dir === undefined ? undefined : path.resolve(s.data_dir)),
    catcherPort: f.catcherPort ?? s.catcher_port,
    payTo: f.payTo ?? (s.pay_to === undefined ? undefined : parsePayTo([s.pay_to].flat(), 'target.pay_to', EXIT.input)),
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

function verdict(expected: string, actual: string | null, detail: string): Verdict {
  return {ok: expected === actual, expected, actual: actual ?? 'nothing', message: detail}
}

/** payment_link_check always answers 200 for the WHMCS module; the outcome is in the body. */
function checkOutcome(http: number, body: Record<string, unknown>): string {
  if (http === 429) return 'rate_limited'
  if (http === 400) return 'invalid_input'
  if (body.status === true) return 'completed'
  if (body.requires_verification === true) return 'requires_verification'
  return String(body.code ?? `http_${http}`)
}

function human(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function unsupported(what: string, t: Target): VcashError {
  return new VcashError('unsupported_step', `${what} is unsupported against ${t.url}: the run needs control of that server (its admin API)`, {
    exit: EXIT.failure,
    suggestion: 'Run the scenario in-process (no --server), or against a local `vcash serve --dev` whose --data-dir you pass.',
  })
}

async function inProcessTarget(): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-simulate-'))
  try {
    const server = await VcashServer.start({dataDir, host: '127.0.0.1', port: 0, dev: true, trustProxy: [], expireEveryMs: IN_PROCESS_SWEEP_MS})
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
      dataDir,
      throwaway: false,
      payTo: dev.store.payTo,
      async close() {
        await server.close()
        fs.rmSync(dataDir, {recursive: true, force: true})
      },
    }
  } catch (error) {
    fs.rmSync(dataDir, {recursive: true, force: true})
    throw error
  }
}

async function remoteTarget(o: TargetOptions & {server: string}, scenario: string): Promise<Target> {
  // A server that is down is not a failed expectation: say so before any step runs.
  try {
    await fetch(`${o.server}/healthz`, {signal: AbortSignal.timeout(10_000)})
  } catch (error) {
    throw new VcashError('server_unreachable', `cannot reach ${o.server}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`, {exit: EXIT.unavailable, suggestion: 'Check --server (or VCASH_SERVER / target.server) and that vcash is running there.'})
  }
  const info = o.dataDir ? runningServer(o.dataDir) : null
  if (o.dataDir && !info) throw new VcashError('server_not_running', `no vcash server owns ${o.dataDir}`, {exit: EXIT.unavailable, suggestion: `Start it with \`vcash serve --dev --data-dir ${o.dataDir}\`, or drop --data-dir.`})
  if (info && !sameServer(info.url, o.server)) throw new VcashError('server_mismatch', `the server that owns ${o.dataDir} listens on ${info.url}, not ${o.server}`, {exit: EXIT.usage, suggestion: `Pass --server ${info.url}.`})
  if (info) return throwawayTarget(o, new AdminClient(info), o.dataDir!, scenario)
  const storeId = o.storeId
  if (!storeId) throw new VcashError('missing_flags', 'against --server, say which store', {suggestion: 'Pass --store (or VCASH_STORE, or target.store in the scenario).'})
  if (!o.deviceToken) throw new VcashError('missing_flags', 'against --server, transfers need the store\'s device token', {suggestion: 'Pass --device-token (or VCASH_DEVICE_TOKEN, or target.device_token in the scenario).'})
  return {description: o.server, url: o.server, storeId, deviceToken: o.deviceToken, apiToken: o.apiToken ?? null, signingSecret: o.signingSecret ?? null, admin: null, dataDir: null, throwaway: false, payTo: undefined, close: async () => {}}
}

/** How a finished run's store is named: nothing uses it any more and it may be deleted. */
export const THROWAWAY_DONE = 'simulate (finished, safe to delete)'

/**
 * On a server whose data dir we have (a shared `serve --dev`), the run works on a store of its
 * own: a copy of --store's settings (or the only store's, or the defaults) with fresh tokens.
 * Its `configure` steps, anti-spam and clock touch that store only. At the end it is renamed
 * as finished, its callback set to none and its tokens replaced, so nothing can use it.
 */
async function throwawayTarget(o: TargetOptions & {server: string}, admin: AdminClient, dataDir: string, scenario: string): Promise<Target> {
  const created = await withLedger(dataDir, async ({storage, service}) => {
    const stores = await storage.listStores()
    const base = o.storeId ? stores.find((st) => st.id === o.storeId) : stores.length === 1 ? stores[0] : undefined
    if (o.storeId && !base) throw new VcashError('store_not_found', `no store ${o.storeId} in ${dataDir}`, {exit: EXIT.usage, suggestion: 'Check --store (see `vcash store list`).'})
    const settings = base ? settingsOf(base) : {callback: {kind: 'none' as const}, mode: 'development' as const}
    return service.createStore({...settings, name: `simulate: ${scenario}`.slice(0, 80)})
  })
  const storeId = created.store.id
  return {
    description: o.server,
    url: o.server,
    storeId,
    deviceToken: created.deviceToken,
    apiToken: created.apiToken,
    signingSecret: created.store.signingSecret,
    admin,
    dataDir,
    throwaway: true,
    payTo: created.store.payTo,
    async close() {
      await withLedger(dataDir, async ({service}) => {
        await service.updateStore(storeId, {name: THROWAWAY_DONE, callback: {kind: 'none'}})
        await service.rotateTokens(storeId)
      })
    },
  }
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
