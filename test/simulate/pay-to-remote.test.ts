/**
 * Simulating against a server given by URL alone (a merchant's CI pointed at staging): the run
 * holds a device token, which reads no store settings, so it cannot learn the store's pay_to.
 * Receipts naming a made-up wallet are held by the receiving-wallet gate; --pay-to (or the
 * scenario's target.pay_to) names the store's own wallet, and a hold says so.
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

const OWN = '01000000002'

/** The merchant's wallet a Vodafone Cash receipt says it credited. */
const creditedTo = (body: string) => /على رقم محفظتك\s+(01\d{9})/.exec(body)?.[1]

/** A plain `vcash serve` whose store has pay_to set, and what a CI job would know of it. */
async function storeWithPayTo(): Promise<{url: string; id: string; deviceToken: string; apiToken: string}> {
  const dir = tempDir()
  const s = await spawnServe(dir)
  children.push(s)
  const dev = s.ready.dev_store!
  const set = await runCli(['store', 'set', dev.id, '--data-dir', dir, '--pay-to', `vodafone_cash:${OWN}`, '--json'])
  expect(set.code, set.stderr + set.stdout).toBe(0)
  return {url: s.ready.url, id: dev.id, deviceToken: dev.device_token, apiToken: dev.api_token}
}

interface TransferOut {outcome: string; body: string; hint?: string | null; transaction: {id: string; status: string; holds: {gate: string}[]}}

describe('simulate against --server alone, on a store with pay_to', () => {
  it('simulate transfer: --pay-to credits the store\'s wallet and the check completes; without it the wallet-gate hold names --pay-to', async () => {
    const t = await storeWithPayTo()
    const remote = ['--server', t.url, '--device-token', t.deviceToken]

    const given = await runCli(['simulate', 'transfer', ...remote, '--pay-to', `vodafone_cash:${OWN}`, '--phone', '01012345678', '--amount', '150', '--json'])
    expect(given.code, given.stderr + given.stdout).toBe(0)
    const out = JSON.parse(given.stdout) as TransferOut
    expect(creditedTo(out.body)).toBe(OWN)
    expect(out).toMatchObject({outcome: 'created', hint: null, transaction: {status: 'PENDING', holds: []}})
    const hit = await runCli(['simulate', 'check', '--server', t.url, '--store', t.id, '--phone', '01012345678', '--amount', '150', '--user', '1', '--json'])
    expect(JSON.parse(hit.stdout), hit.stderr).toMatchObject({http_status: 200, answer: {status: true, code: 'completed'}})

    // Without it the receipt names a made-up wallet: the server holds it, and the run says why and what to pass.
    const bare = await runCli(['simulate', 'transfer', ...remote, '--phone', '01012345679', '--amount', '60', '--json'])
    expect(bare.code, bare.stderr).toBe(0)
    const held = JSON.parse(bare.stdout) as TransferOut
    expect(creditedTo(held.body)).not.toBe(OWN)
    expect(held.transaction.holds.map((h) => h.gate)).toEqual(['foreign_wallet'])
    expect(held.hint).toMatch(/--pay-to vodafone_cash:01/)
    const human = await runCli(['simulate', 'transfer', ...remote, '--phone', '01012345670', '--amount', '61'])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout + human.stderr).toMatch(/receiving-wallet gate[\s\S]*--pay-to vodafone_cash:01/)
    // What the server said names the store's wallet; the device token is never printed.
    expect(human.stderr).toContain(OWN)
    expect(human.stdout + human.stderr).not.toContain(t.deviceToken)
    const claim = await runCli(['simulate', 'check', '--server', t.url, '--store', t.id, '--phone', '01012345679', '--amount', '60', '--user', '1', '--json'])
    expect(JSON.parse(claim.stdout)).toMatchObject({answer: {status: false, requires_verification: true}})

    // Validated as the store setting is: a wallet that is not a mobile number, an unknown provider.
    for (const bad of ['vodafone_cash:123', 'bank:01000000002', '01000000002']) {
      const r = await runCli(['simulate', 'transfer', ...remote, '--pay-to', bad, '--phone', '01012345678', '--amount', '1', '--json'])
      expect(r.code, bad).not.toBe(0)
      expect(JSON.parse(r.stdout || r.stderr), bad).toMatchObject({status: false, code: 'invalid_input'})
    }
  }, 90_000)

  it('simulate run: --pay-to or target.pay_to lets the checks complete; without, the failing check names --pay-to', async () => {
    const t = await storeWithPayTo()
    const dir = tempDir()
    /** Each run pays from its own phones: a later run must not meet an earlier run's completed transfer. */
    const scenario = (name: string, a: string, b: string, target = '') => {
      const file = path.join(dir, `${name}.yaml`)
      fs.writeFileSync(file, [
        `name: ${name}`,
        target,
        'steps:',
        '  - id: pay',
        `    transfer: {phone: "${a}", amount: "40"}`,
        `  - check: {phone: "${a}", amount: "40", user_name: "7", expect: completed}`,
        '  - id: r2',
        `    transfer: {phone: "${b}", amount: "41", layout: VF-R2}`,
        `  - check: {phone: "${b}", amount: "41", user_name: "8", expect: completed}`,
        '',
      ].join('\n'))
      return file
    }
    const remote = ['--server', t.url, '--store', t.id, '--device-token', t.deviceToken, '--api-token', t.apiToken]

    const ok = await runCli(['simulate', 'run', scenario('flag', '01012345678', '01012345679'), ...remote, '--pay-to', `vodafone_cash:${OWN}`, '--json'], {timeoutMs: 60_000})
    const okOut = JSON.parse(ok.stdout) as {ok: boolean; steps: {ok: boolean; name: string; actual: string; message: string}[]}
    expect(okOut.steps.filter((x) => !x.ok)).toEqual([])
    expect(ok.code, ok.stderr).toBe(0)

    // The same from the scenario's target block, as a CI file would carry it (${env.…} included).
    const inFile = scenario('target', '01012345677', '01012345676', 'target:\n  pay_to: "vodafone_cash:${env.SHOP_WALLET}"')
    const viaTarget = await runCli(['simulate', 'run', inFile, ...remote, '--json'], {timeoutMs: 60_000, env: {SHOP_WALLET: OWN}})
    expect((JSON.parse(viaTarget.stdout) as typeof okOut).steps.filter((x) => !x.ok)).toEqual([])
    expect(viaTarget.code, viaTarget.stderr).toBe(0)

    const held = await runCli(['simulate', 'run', scenario('none', '01012345675', '01012345674'), ...remote, '--json'], {timeoutMs: 60_000})
    expect(held.code).toBe(1)
    const heldOut = JSON.parse(held.stdout) as typeof okOut & {failure: string}
    expect(heldOut.failure).toMatch(/step 2 \(check\) failed: expected completed, got requires_verification/)
    expect(heldOut.steps[0]!.message).toMatch(/receiving-wallet gate/)
    expect(heldOut.steps[1]!.message).toMatch(/--pay-to vodafone_cash:01/)
    const humanRun = await runCli(['simulate', 'run', scenario('human', '01012345673', '01012345672'), ...remote], {timeoutMs: 60_000})
    expect(humanRun.code).toBe(1)
    expect(humanRun.stderr).toMatch(/--pay-to vodafone_cash:01/)

    const bad = await runCli(['simulate', 'run', scenario('bad', '01012345671', '01012345670'), ...remote, '--pay-to', 'vodafone_cash:12', '--json'])
    expect(bad.code).not.toBe(0)
    expect(JSON.parse(bad.stdout || bad.stderr)).toMatchObject({status: false, code: 'invalid_input'})
  }, 120_000)
})
