import path from 'node:path'
import fs from 'node:fs'

import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {afterEach, describe, expect, it} from 'vitest'

import {PROVIDERS} from '../../src/core/model.js'
import {renderReceipt} from '../../src/simulate/render.js'
import {parseScenario} from '../../src/simulate/scenario.js'
import {parseSms} from '../../src/sms/parse.js'
import {ROOT, runCli, type ServeChild, spawnServe, tempDir} from '../support/vcash.js'

const FULL = path.join(ROOT, 'examples/scenarios/full.yaml')
const WRONG = path.join(ROOT, 'examples/scenarios/wrong-expectation.yaml')

const children: ServeChild[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
})

describe('vcash simulate run', () => {
  const fullSteps = parseScenario(fs.readFileSync(FULL, 'utf8')).steps.length

  it('passes the every-state, every-channel scenario in-process, with progress on stderr', async () => {
    const r = await runCli(['simulate', 'run', FULL], {timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`✓ ${fullSteps} steps passed`))
    expect(r.stderr).toMatch(/every state and channel \(\d+ steps, in-process\)/)
    expect(r.stderr).toMatch(/✓ {2}1 transfer vf {2}VF-R1 vodafone_cash 150\.00 EGP from 01012345678 → created tx_/)
    expect(r.stderr).toMatch(/whmcs transaction\.completed at the catcher/)
    // Not a terminal: no colour codes, no spinner frames.
    // eslint-disable-next-line no-control-regex -- an ANSI escape is what must not appear
    expect(r.stderr).not.toMatch(/\u001B\[/)
    const j = await runCli(['simulate', 'run', FULL, '--json'], {timeoutMs: 60_000})
    const out = JSON.parse(j.stdout) as {ok: boolean; passed: number; failure: string | null; steps: {type: string; ok: boolean}[]}
    expect(j.code).toBe(0)
    expect(out).toMatchObject({ok: true, passed: fullSteps, failure: null})
    // Every step kind and every final state appear in the sample.
    expect(new Set(out.steps.map((x) => x.type))).toEqual(new Set(['transfer', 'duplicate', 'sms', 'check', 'approve', 'reject', 'advance_clock', 'configure', 'expect_transaction', 'expect_callback']))
  }, 60_000)

  it('passes the same scenario against a running `vcash serve --dev`', async () => {
    const dir = tempDir()
    const s = await spawnServe(dir, ['--dev'])
    children.push(s)
    const dev = s.ready.dev_store!
    const r = await runCli(['simulate', 'run', FULL, '--server', s.ready.url, '--data-dir', dir, '--device-token', dev.device_token, '--api-token', dev.api_token, '--json'], {timeoutMs: 60_000})
    const out = JSON.parse(r.stdout) as {ok: boolean; target: string; steps: {ok: boolean; actual: string}[]}
    expect(out.steps.filter((x) => !x.ok)).toEqual([])
    expect(r.code).toBe(0)
    expect(out).toMatchObject({ok: true, target: s.ready.url})
    // Again on the same server: its clock never moved, and the second run makes a store of its own too.
    const again = await runCli(['simulate', 'run', FULL, '--server', s.ready.url, '--data-dir', dir, '--device-token', dev.device_token, '--api-token', dev.api_token], {timeoutMs: 60_000})
    expect(again.code, again.stdout + again.stderr).toBe(0)
  }, 90_000)

  it('against a plain `vcash serve` with only its URL and tokens (env vars), and says clearly that the clock cannot move there', async () => {
    const dir = tempDir()
    const s = await spawnServe(dir)
    children.push(s)
    const dev = s.ready.dev_store!
    const env = {VCASH_SERVER: s.ready.url, VCASH_STORE: dev.id, VCASH_DEVICE_TOKEN: dev.device_token, VCASH_API_TOKEN: dev.api_token}
    const file = path.join(dir, 'remote.yaml')
    fs.writeFileSync(file, [
      'steps:',
      '  - {id: t, transfer: {phone: "01012345678", amount: "150", provider: instapay}}',
      '  - {check: {phone: "01012345678", amount: "150", user_name: "42", expect: completed}}',
      '  - {expect_transaction: {transaction: "${steps.t.transaction_id}", status: COMPLETED}}',
      '  - {advance_clock: {duration: 25h}}',
      '',
    ].join('\n'))
    const r = await runCli(['simulate', 'run', file], {env})
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/✗ step 4 \(advance_clock\) failed: expected the advance_clock step to run, got unsupported_step: advance_clock is unsupported against http:\/\/127\.0\.0\.1:\d+/)
    expect(r.stderr).toMatch(/✓ {2}3 expect_transaction/)
    expect(r.stderr).toMatch(/Run the scenario in-process \(no --server\)/)
  }, 60_000)

  it('a deliberately wrong expectation fails with exit 1, naming the step, the expectation and the answer', async () => {
    const r = await runCli(['simulate', 'run', WRONG])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/step 2 \(check\) failed: expected completed, got not_found/)
    expect(r.stderr).toMatch(/HTTP 200 \{"status":false/)
    const j = await runCli(['simulate', 'run', WRONG, '--json'])
    expect(j.code).toBe(1)
    const out = JSON.parse(j.stdout) as {ok: boolean; failed: number; skipped: number; failure: string; steps: {index: number; ok: boolean; expected: string; actual: string}[]}
    expect(out).toMatchObject({ok: false, failed: 1, skipped: 1, failure: 'step 2 (check) failed: expected completed, got not_found'})
    expect(out.steps.at(-1)).toMatchObject({index: 2, ok: false, expected: 'completed', actual: 'not_found'})
  }, 60_000)

  it('--reporter junit writes valid XML a CI system accepts, to stdout or --out', async () => {
    const r = await runCli(['simulate', 'run', WRONG, '--reporter', 'junit'])
    expect(r.code).toBe(1)
    expect(XMLValidator.validate(r.stdout)).toBe(true)
    expect(r.stderr).toMatch(/step 2 \(check\) failed/)
    const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' || n === 'testcase'})
    type Doc = {testsuites: {tests: string; failures: string; skipped: string; testsuite: {file: string; testcase: {name: string; failure?: {message: string}; skipped?: unknown}[]}[]}}
    const doc = parser.parse(r.stdout) as Doc
    expect(doc.testsuites).toMatchObject({tests: '3', failures: '1', skipped: '1'})
    const cases = doc.testsuites.testsuite[0]!.testcase
    expect(cases).toHaveLength(3)
    expect(cases[1]!.failure!.message).toBe('expected completed, got not_found')
    expect(cases[2]!.skipped).toBeDefined()

    const out = path.join(tempDir(), 'junit.xml')
    const ok = await runCli(['simulate', 'run', FULL, '--reporter', 'junit', '--out', out, '--json'], {timeoutMs: 60_000})
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ok: true, passed: fullSteps})
    const full = parser.parse(fs.readFileSync(out, 'utf8')) as Doc
    expect(full.testsuites).toMatchObject({tests: String(fullSteps), failures: '0', skipped: '0'})
    expect(full.testsuites.testsuite[0]!.file).toBe(FULL)
  }, 60_000)

  it('rejects a malformed scenario with the step and field, exit 65', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'bad.yaml')
    fs.writeFileSync(file, 'steps:\n  - check: {amount: "5", expect: paid}\n')
    const r = await runCli(['simulate', 'run', file])
    expect(r.code).toBe(65)
    expect(r.stderr).toMatch(/steps\.0\.check/)
  })

  it('--example / init-scenario write a starter that runs green', async () => {
    const dir = tempDir()
    const file = path.join(dir, 's.yaml')
    expect((await runCli(['init-scenario', file])).code).toBe(0)
    expect((await runCli(['init-scenario', file])).code).toBe(2)
    expect((await runCli(['simulate', 'run', file])).code).toBe(0)
  }, 60_000)
})

describe('simulate transfer and check', () => {
  it('render a real-layout receipt into a data dir and confirm it', async () => {
    const dir = tempDir()
    expect((await runCli(['store', 'init', '--data-dir', dir, '--name', 'S', '--callback', 'none'])).code).toBe(0)
    const t = await runCli(['simulate', 'transfer', '--data-dir', dir, '--phone', '01012345678', '--amount', '1,250.50', '--provider', 'instapay', '--json'])
    expect(t.code).toBe(0)
    expect(JSON.parse(t.stdout)).toMatchObject({outcome: 'created', layout: 'VF-R5', transaction: {amount: '1250.50', provider: 'instapay'}})
    const miss = await runCli(['simulate', 'check', '--data-dir', dir, '--phone', '01012345678', '--amount', '1250', '--user', '1'])
    expect(miss.code).toBe(1)
    const hit = await runCli(['simulate', 'check', '--data-dir', dir, '--phone', '01012345678', '--amount', '1250.5', '--user', '1', '--json'])
    expect(hit.code).toBe(0)
    expect(JSON.parse(hit.stdout)).toMatchObject({http_status: 200, answer: {status: true, code: 'completed'}})
  }, 60_000)
})

describe('simulate transfer and check against a running server', () => {
  it('through the server that owns --data-dir, and through --server with tokens', async () => {
    const dir = tempDir()
    const s = await spawnServe(dir)
    children.push(s)
    const dev = s.ready.dev_store!
    const viaDir = await runCli(['simulate', 'transfer', '--data-dir', dir, '--phone', '01012345678', '--amount', '150', '--json'])
    expect(viaDir.code, viaDir.stderr).toBe(0)
    expect(JSON.parse(viaDir.stdout)).toMatchObject({outcome: 'created', layout: 'VF-R1', transaction: {status: 'PENDING', amount: '150.00'}})
    const viaUrl = await runCli(['simulate', 'transfer', '--server', s.ready.url, '--device-token', dev.device_token, '--phone', '01200000001', '--amount', '75', '--provider', 'orange_cash'])
    expect(viaUrl.code, viaUrl.stderr).toBe(0)
    expect(viaUrl.stdout).toMatch(/✓ OR-R1 orange_cash 75 EGP from 01200000001 → created tx_/)
    const ref = /reference=(\d{10})/.exec(viaUrl.stdout)![1]!
    const held = await runCli(['simulate', 'check', '--server', s.ready.url, '--store', dev.id, '--reference', ref, '--amount', '75', '--user', '9'])
    expect(held.code, held.stderr).toBe(0)
    expect(held.stdout).toMatch(/✓ confirmed {2}HTTP 200/)
    const again = await runCli(['simulate', 'check', '--data-dir', dir, '--phone', '01012345678', '--amount', '150', '--user', '7', '--lang', 'ar', '--json'])
    expect(JSON.parse(again.stdout)).toMatchObject({http_status: 200, answer: {status: true}})
  }, 60_000)

  it('refuses a language the wallet never writes in, saying which to use', async () => {
    const r = await runCli(['simulate', 'transfer', '--data-dir', tempDir(), '--phone', '01012345678', '--amount', '10', '--lang', 'en'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Arabic only/)
    expect(r.stderr).toMatch(/--provider instapay/)
  })
})

describe('rendered receipts read back exactly', () => {
  it.each(PROVIDERS)('%s', (provider) => {
    for (let i = 0; i < 200; i++) {
      const phone = `01${['0', '1', '2', '5'][i % 4]}${String(10_000_000 + i * 7919).slice(-8)}`
      const amount = 1 + ((i * 104_729) % 5_000_000)
      const at = new Date(Date.UTC(2026, i % 12, 1 + (i % 28), i % 24, (i * 7) % 60))
      const sms = renderReceipt({provider, phone, amount, at, lang: provider === 'instapay' ? 'en' : 'ar'})
      const parsed = parseSms({sender: sms.sender, body: sms.body})
      expect(parsed, sms.body).toMatchObject({kind: 'receive', provider, amount, senderPhone: sms.hasPhone ? phone : null, reference: sms.reference || null})
    }
  })
})
