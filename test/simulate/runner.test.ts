import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {VcashServer} from '../../src/server/serve.js'
import {ScenarioRunner} from '../../src/simulate/runner.js'
import {parseScenario} from '../../src/simulate/scenario.js'
import {tempDir} from '../support/vcash.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

/** A merchant site on loopback that answers with `status` and records what it got. */
async function merchant(status = 200): Promise<{url: string; got: {path: string; body: string}[]}> {
  const got: {path: string; body: string}[] = []
  const srv = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      got.push({path: req.url ?? '', body})
      res.writeHead(status).end(status < 300 ? 'ok' : 'down')
    })
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  cleanup.push(async () => {
    srv.closeAllConnections()
    await new Promise<void>((r) => srv.close(() => r()))
  })
  return {url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, got}
}

async function server(dev: boolean): Promise<{srv: VcashServer; dataDir: string}> {
  const dataDir = tempDir()
  const srv = await VcashServer.start({dataDir, host: '127.0.0.1', port: 0, dev, trustProxy: []})
  cleanup.push(() => srv.close())
  return {srv, dataDir}
}

const run = (yaml: string, opts: ConstructorParameters<typeof ScenarioRunner>[0] = {}) => new ScenarioRunner(opts).run(parseScenario(yaml))

describe('in-process runs', () => {
  it('a transfer dated before the match window is not claimable and expires on its own', async () => {
    const r = await run(`
store: {callback: webhook}
steps:
  - id: old
    transfer: {phone: "01012345678", amount: "20", received_at: -25h}
  - check: {phone: "01012345678", amount: "20", user_name: "1", expect: not_found}
  - expect_transaction: {transaction: "\${steps.old.transaction_id}", status: EXPIRED, within: 5s}
  - expect_callback: {event: transaction.expired, transaction: "\${steps.old.transaction_id}", channel: webhook}
`)
    expect(r.failure).toBeNull()
    expect(r).toMatchObject({ok: true, passed: 4, failed: 0, skipped: 0})
    expect(r.target).toMatch(/^in-process http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('renders any real layout the scenario names', async () => {
    const r = await run(`
steps:
  - {id: a, transfer: {phone: "01012345678", amount: "1,250.50", layout: VF-R3}}
  - {id: b, transfer: {phone: "01112345678", amount: "99", provider: etisalat_cash, layout: EA-R2}}
  - {check: {phone: "01012345678", amount: "1250.50", expect: completed}}
  - {check: {phone: "01112345678", amount: "99", expect: completed}}
`)
    expect(r.steps.map((s) => s.message.split(' ')[0])).toEqual(['VF-R3', 'EA-R2', 'HTTP', 'HTTP'])
    expect(r.ok).toBe(true)
  })

  it('checks the merchant\'s own URL through the delivery records when the scenario points the store there', async () => {
    const shop = await merchant()
    const r = await run(`
store: {callback: {kind: webhook, url: "\${env.SHOP}/hooks/vcash"}}
steps:
  - {id: t, transfer: {phone: "01012345678", amount: "150"}}
  - {check: {phone: "01012345678", amount: "150", user_name: "42", expect: completed}}
  - {expect_callback: {event: transaction.completed, transaction: "\${steps.t.transaction_id}", within: 5s}}
`, {env: {SHOP: shop.url}})
    expect(r.failure).toBeNull()
    expect(r.steps[2]!.actual).toMatch(new RegExp(`webhook transaction.completed delivered to ${shop.url}/hooks/vcash \\(HTTP 200\\)`))
    expect(shop.got.some((g) => g.path === '/hooks/vcash' && g.body.includes('"transaction.completed"'))).toBe(true)
  })

  it('a merchant that fails is a failed expectation that says what the server saw', async () => {
    const shop = await merchant(500)
    const r = await run(`
store: {callback: {kind: get, url: "\${env.SHOP}/cb"}}
steps:
  - {id: t, transfer: {phone: "01012345678", amount: "150"}}
  - {check: {phone: "01012345678", amount: "150", user_name: "42", expect: completed}}
  - {expect_callback: {transaction: "\${steps.t.transaction_id}", within: 1500ms}}
`, {env: {SHOP: shop.url}})
    expect(r.ok).toBe(false)
    expect(r.failure).toMatch(/^step 3 \(expect_callback\) failed: expected transaction\.completed for tx_\S+ within 1500ms, got only: get transaction\.completed (pending|failed) \(.*500/)
  })

  it('a check can name the transaction it must complete (oldest first) and repeat until rate-limited', async () => {
    const r = await run(`
steps:
  - {id: first, transfer: {phone: "01012345678", amount: "100"}}
  - {id: second, transfer: {phone: "01012345678", amount: "100"}}
  - {check: {phone: "01012345678", amount: "100", user_name: "1", expect: completed, transaction: "\${steps.first.transaction_id}"}}
  - {check: {phone: "01012345678", amount: "100", user_name: "2", expect: completed, transaction: "\${steps.first.transaction_id}"}}
`)
    expect(r.failure).toMatch(/^step 4 \(check\) failed: expected completed tx_\S+, got completed tx_\S+$/)
    const [, want, got] = /expected completed (\S+), got completed (\S+)/.exec(r.failure!)!
    expect(got).not.toBe(want)
    const limited = await run('steps:\n  - check: {phone: "01012345678", amount: "1", repeat: 61, expect: rate_limited}\n')
    expect(limited.failure).toBeNull()
    expect(limited.steps[0]!.message).toMatch(/^HTTP 429.*\(answer 61 of 61\)$/)
  })

  it('a callback on another channel or for another event does not count', async () => {
    const r = await run(`
store: {callback: webhook}
steps:
  - {id: t, transfer: {phone: "01012345678", amount: "150"}}
  - {expect_callback: {event: transaction.received, transaction: "\${steps.t.transaction_id}", channel: get, within: 300ms}}
`)
    expect(r.failure).toMatch(/expected get transaction\.received for \S+ within 300ms, got only: webhook transaction\.received/)
  })

  it('stops at the first failure, reports the steps after it as skipped, and calls back in order', async () => {
    const seen: string[] = []
    const r = await run(`
name: stops
steps:
  - {id: t, transfer: {phone: "01012345678", amount: "150"}}
  - {approve: {transaction: "\${steps.nope.transaction_id}"}}
  - {check: {phone: "01012345678", amount: "150", expect: completed}}
`, {onStepStart: (s) => seen.push(`start ${s.index}`), onStep: (s) => seen.push(`${s.ok ? 'ok' : 'fail'} ${s.index}`)})
    expect(seen).toEqual(['start 1', 'ok 1', 'start 2', 'fail 2'])
    expect(r).toMatchObject({ok: false, passed: 1, failed: 1, skipped: 1})
    expect(r.failure).toMatch(/step 2 \(approve\) failed: expected the approve step to run, got scenario_reference: .*no id "nope"/)
  })
})

describe('against a running server', () => {
  it('without its data dir: transfers and checks work; configure and advance_clock are clearly unsupported', async () => {
    const {srv} = await server(true)
    const dev = srv.devStore!
    const target = {server: srv.url, storeId: dev.store.id, deviceToken: dev.deviceToken, apiToken: dev.apiToken}
    const ok = await run(`
steps:
  - {id: t, transfer: {phone: "01012345678", amount: "150"}}
  - {check: {phone: "01012345678", amount: "150", expect: completed}}
  - {expect_transaction: {transaction: "\${steps.t.transaction_id}", status: COMPLETED}}
`, {target})
    expect(ok).toMatchObject({ok: true, target: srv.url})
    const clock = await run('steps:\n  - advance_clock: {duration: 25h}\n', {target})
    expect(clock.failure).toMatch(/advance_clock is unsupported against http:\/\/127\.0\.0\.1:\d+: the run needs control of that server/)
    expect(clock.steps[0]!.message).toMatch(/in-process \(no --server\)/)
    await expect(run('store: {callback: webhook}\nsteps:\n  - advance_clock: {minutes: 1}\n', {target})).rejects.toThrow(/configure \(and a scenario `store:` block\) is unsupported/)
  })

  it('the target can come from the scenario, with tokens from env vars', async () => {
    const {srv} = await server(true)
    const dev = srv.devStore!
    const r = await run(`
target: {server: "\${env.URL}", store: "\${env.STORE}", device_token: "\${env.DEVICE}"}
steps:
  - {transfer: {phone: "01012345678", amount: "10"}}
`, {env: {URL: srv.url, STORE: dev.store.id, DEVICE: dev.deviceToken}})
    expect(r).toMatchObject({ok: true, target: srv.url})
  })

  it('a server not started with --dev cannot move its clock, and says how to test expiry instead', async () => {
    const {srv, dataDir} = await server(false)
    const dev = srv.devStore!
    const r = await run('steps:\n  - advance_clock: {duration: 25h}\n', {target: {server: srv.url, dataDir, deviceToken: dev.deviceToken, apiToken: dev.apiToken}})
    expect(r.failure).toMatch(/advance_clock is unsupported against .*: that server was not started with --dev/)
    expect(r.steps[0]!.message).toMatch(/received_at: -25h/)
  })

  it('an unreachable server is an error (exit 69) before any step, not a failed expectation', async () => {
    const {srv} = await server(true)
    const url = srv.url
    await srv.close()
    await expect(run('steps:\n  - transfer: {phone: "01012345678", amount: "1"}\n', {target: {server: url, storeId: 'st_x', deviceToken: 'vd_x'}})).rejects.toMatchObject({code: 'server_unreachable', exit: 69})
  })

  it('a --data-dir owned by no server, or by another server, is an error before any step', async () => {
    const {srv} = await server(true)
    await expect(run('steps:\n  - advance_clock: {minutes: 1}\n', {target: {server: srv.url, dataDir: tempDir(), deviceToken: 'vd_x'}})).rejects.toThrow(/no vcash server owns/)
    const other = await server(true)
    await expect(run('steps:\n  - advance_clock: {minutes: 1}\n', {target: {server: srv.url, dataDir: other.dataDir, deviceToken: 'vd_x'}})).rejects.toThrow(/listens on http/)
  })
})
