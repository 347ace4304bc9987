import path from 'node:path'
import fs from 'node:fs'

import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {afterEach, describe, expect, it} from 'vitest'

import {PROVIDERS} from '../../src/lib/model.js'
import {renderReceipt} from '../../src/lib/simulate/render.js'
import {parseScenario} from '../../src/lib/simulate/scenario.js'
import {parseSms} from '../../src/lib/sms/parse.js'
import {ROOT, runCli, type ServeChild, spawnServe, tempDir} from '../support/vcash.js'

const FULL = path.join(ROOT, 'examples/scenarios/full.yaml')
const WRONG = path.join(ROOT, 'examples/scenarios/wrong-expectation.yaml')

const children: ServeChild[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
})

describe('vcash simulate run', () => {
  it('passes the every-state, every-channel scenario in-process', async () => {
    const r = await runCli(['simulate', 'run', FULL, '--json'], {timeoutMs: 60_000})
    const out = JSON.parse(r.stdout) as {ok: boolean; passed: number; steps: {type: string; ok: boolean}[]}
    expect(r.code).toBe(0)
    expect(out.ok).toBe(true)
    expect(out.passed).toBe(parseScenario(fs.readFileSync(FULL, 'utf8')).steps.length)
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
    expect(out.target).toBe(s.ready.url)
  }, 60_000)

  it('a deliberately wrong expectation fails with exit 1, naming the step, the expectation and the answer', async () => {
    const r = await runCli(['simulate', 'run', WRONG])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/step 2 \(check\) failed: expected completed, got not_found/)
    const j = await runCli(['simulate', 'run', WRONG, '--json'])
    expect(j.code).toBe(1)
    const out = JSON.parse(j.stdout) as {ok: boolean; failed: number; steps: {index: number; ok: boolean; expected: string; actual: string}[]}
    expect(out).toMatchObject({ok: false, failed: 1})
    expect(out.steps.at(-1)).toMatchObject({index: 2, ok: false, expected: 'completed', actual: 'not_found'})
  }, 60_000)

  it('--reporter junit writes valid XML a CI system accepts', async () => {
    const r = await runCli(['simulate', 'run', WRONG, '--reporter', 'junit'])
    expect(r.code).toBe(1)
    expect(XMLValidator.validate(r.stdout)).toBe(true)
    const doc = new XMLParser({ignoreAttributes: false, attributeNamePrefix: ''}).parse(r.stdout) as {testsuites: {tests: string; failures: string; skipped: string; testsuite: {testcase: {name: string; failure?: {message: string}; skipped?: unknown}[]}}}
    expect(doc.testsuites).toMatchObject({tests: '3', failures: '1', skipped: '1'})
    const cases = doc.testsuites.testsuite.testcase
    expect(cases).toHaveLength(3)
    expect(cases[1]!.failure!.message).toBe('expected completed, got not_found')
    expect(cases[2]!.skipped).toBeDefined()
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
