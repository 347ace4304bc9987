/**
 * Simulated receipts are credited to the store's own receiving wallet (its pay_to) when it has
 * one: a receipt naming some other wallet is held by the receiving-wallet gate, and the
 * simulation would not show a normal payment.
 */
import fs from 'node:fs'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {runCli, type ServeChild, spawnServe, tempDir, waitExit} from '../support/vcash.js'

const children: ServeChild[] = []
afterEach(async () => {
  for (const s of children.splice(0)) {
    s.child.kill('SIGTERM')
    await waitExit(s.child)
  }
})

/** The merchant's wallet a Vodafone Cash receipt says it credited. */
const creditedTo = (body: string) => /على رقم محفظتك\s+(01\d{9})/.exec(body)?.[1]

describe('simulated receipts and the store\'s receiving wallets', () => {
  it('simulate transfer names the store\'s own Vodafone Cash wallet and stays claimable; a store without pay_to gets a made-up wallet', async () => {
    const dir = tempDir()
    // Two phone wallets of different providers: the Vodafone Cash receipt names the Vodafone one.
    const init = await runCli(['store', 'init', '--data-dir', dir, '--name', 'Wallets', '--callback', 'none', '--mode', 'development', '--pay-to', 'etisalat_cash:01100000003', '--pay-to', 'vodafone_cash:01000000002', '--json'])
    expect(init.code, init.stderr).toBe(0)
    const t = await runCli(['simulate', 'transfer', '--data-dir', dir, '--phone', '01012345678', '--amount', '150', '--json'])
    expect(t.code, t.stderr).toBe(0)
    const out = JSON.parse(t.stdout) as {outcome: string; body: string; transaction: {status: string}}
    expect(creditedTo(out.body)).toBe('01000000002')
    expect(out).toMatchObject({outcome: 'created', layout: 'VF-R1', transaction: {status: 'PENDING'}})
    const hit = await runCli(['simulate', 'check', '--data-dir', dir, '--phone', '01012345678', '--amount', '150', '--user', '1', '--json'])
    expect(JSON.parse(hit.stdout)).toMatchObject({http_status: 200, answer: {status: true, code: 'completed'}})

    const bare = tempDir()
    expect((await runCli(['store', 'init', '--data-dir', bare, '--name', 'Bare', '--callback', 'none'])).code).toBe(0)
    const names = new Set<string>()
    for (const amount of ['10', '11']) {
      const r = await runCli(['simulate', 'transfer', '--data-dir', bare, '--phone', '01012345678', '--amount', amount, '--json'])
      const got = JSON.parse(r.stdout) as {body: string; transaction: {status: string}}
      expect(got.transaction.status).toBe('PENDING')
      names.add(creditedTo(got.body)!)
    }
    // Made up each time (a fixed one would be a wallet some real store may hold).
    expect(names.size).toBe(2)
    for (const n of names) expect(n).toMatch(/^010\d{8}$/)
  }, 60_000)

  it('simulate run against a `serve --dev` whose store has pay_to: its transfers (VF-R1, VF-R2) complete as normal payments', async () => {
    const dir = tempDir()
    const s = await spawnServe(dir, ['--dev'])
    children.push(s)
    const dev = s.ready.dev_store!
    const set = await runCli(['store', 'set', dev.id, '--data-dir', dir, '--pay-to', 'vodafone_cash:01000000002', '--json'])
    expect(set.code, set.stderr + set.stdout).toBe(0)
    const file = path.join(tempDir(), 'pay-to.yaml')
    fs.writeFileSync(file, `name: own wallet
steps:
  - id: r1
    transfer: {phone: "01012345678", amount: "40"}
  - expect_transaction: {transaction: "\${steps.r1.transaction_id}", status: PENDING}
  - check: {phone: "01012345678", amount: "40", user_name: "7", expect: completed}
  - id: r2
    transfer: {phone: "01012345679", amount: "41", layout: VF-R2}
  - check: {phone: "01012345679", amount: "41", user_name: "8", expect: completed}
`)
    const r = await runCli(['simulate', 'run', file, '--server', s.ready.url, '--data-dir', dir, '--store', dev.id, '--json'], {timeoutMs: 60_000})
    const out = JSON.parse(r.stdout) as {ok: boolean; steps: {ok: boolean; name: string; actual: string}[]}
    expect(out.steps.filter((x) => !x.ok)).toEqual([])
    expect(r.code, r.stderr).toBe(0)
  }, 90_000)
})
