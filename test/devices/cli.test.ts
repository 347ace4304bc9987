import {afterEach, describe, expect, it} from 'vitest'

import {runCli, startServer, type TestServer} from '../support/vcash.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

describe('vcash devices and the gate settings on the command line', () => {
  it('lists the store\'s devices (the ledger read directly, beside a running server)', async () => {
    const t: TestServer = await startServer({expireEveryMs: 3_600_000})
    closers.push(() => t.close())
    const empty = await runCli(['devices', '--data-dir', t.dataDir, '--json'])
    expect(empty.code).toBe(0)
    expect(JSON.parse(empty.stdout)).toEqual({store_id: t.storeId, silence_limit_minutes: 30, devices: []})
    await fetch(`${t.url}/api/devices/heartbeat`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({name: 'adb:R58M', phone: {state: 'locked', detail: 'the screen is locked'}})})
    const one = await runCli(['devices', '--data-dir', t.dataDir, '--json'])
    expect(JSON.parse(one.stdout).devices).toEqual([expect.objectContaining({name: 'adb:R58M', kind: 'tail', state: 'online', phone: {state: 'locked', detail: 'the screen is locked'}})])
    const human = await runCli(['devices', '--data-dir', t.dataDir])
    expect(human.stdout).toMatch(/online\s+adb:R58M\s+tail\s+last contact .*phone locked: the screen is locked/)
    const missing = await runCli(['devices', '--data-dir', t.dataDir, '--store', 'st_nope', '--json'])
    expect(missing.code, missing.stderr).not.toBe(0)
    expect(missing.stdout, missing.stderr).not.toBe('')
    expect(JSON.parse(missing.stdout)).toMatchObject({code: 'store_not_found'})
  })

  it('store set takes the gate settings and the silence limit; store show tells them', async () => {
    const t: TestServer = await startServer({expireEveryMs: 3_600_000})
    const dir = t.dataDir
    await t.close()
    const set = await runCli(['store', 'set', '--data-dir', dir, '--device-silence-limit', '2h', '--receipt-age-limit', 'off', '--balance-chain', 'mark', '--allow-no-sender-id', '--no-hold-foreign-wallet', '--json'])
    expect(set.code, set.stderr).toBe(0)
    const show = JSON.parse((await runCli(['store', 'show', '--data-dir', dir, '--json'])).stdout) as {store: Record<string, unknown>}
    expect(show.store).toMatchObject({device_silence_minutes: 120, gates: {receipt_age_limit_minutes: null, balance_chain: 'mark', allow_no_sender_id: true, hold_foreign_wallet: false}})
    const back = await runCli(['store', 'set', '--data-dir', dir, '--receipt-age-limit', '3d', '--json'])
    expect(back.code).toBe(0)
    expect(JSON.parse((await runCli(['store', 'show', '--data-dir', dir, '--json'])).stdout).store.gates).toMatchObject({receipt_age_limit_minutes: 4320, balance_chain: 'mark'})
    const bad = await runCli(['store', 'set', '--data-dir', dir, '--device-silence-limit', 'soon'])
    expect(bad.code).toBe(2)
    // A usage error names the flag and the fix, never the value typed (it may be a secret elsewhere).
    expect(bad.stderr.replace(/\s*›\s*|\s+/g, " ")).toMatch(/--device-silence-limit is not a duration; use e\.g\. 30m, 2h or 3d/)
    expect(bad.stderr).not.toContain("soon")
  })
})
