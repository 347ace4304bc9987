import fs from 'node:fs'
import path from 'node:path'

import {afterEach, expect, it} from 'vitest'

import {postSms, runCli, type ServeChild, spawnServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const children: ServeChild[] = []
afterEach(async () => {
  for (const s of children.splice(0)) {
    s.child.kill('SIGTERM')
    await waitExit(s.child)
  }
})

/** Everything a scenario could change on a store it was pointed at. */
async function storeState(dataDir: string, id: string): Promise<Record<string, unknown>> {
  const r = await runCli(['store', 'show', id, '--data-dir', dataDir, '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

async function txStatus(dataDir: string, id: string): Promise<string> {
  const r = await runCli(['tx', 'show', id, '--data-dir', dataDir, '--json'])
  expect(r.code, r.stderr).toBe(0)
  const body = JSON.parse(r.stdout) as {status?: string; transaction?: {status: string}}
  return body.transaction?.status ?? body.status!
}

const SCENARIO = `name: shared server
store:
  callback: webhook
  anti_spam: {enabled: true, first_payment: false}
steps:
  - id: late
    transfer: {phone: "01012345678", amount: "40"}
  - advance_clock: {duration: 25h}
  - expect_transaction: {transaction: "\${steps.late.transaction_id}", status: EXPIRED}
  - expect_callback: {event: transaction.expired, transaction: "\${steps.late.transaction_id}", channel: webhook}
  - id: fresh
    transfer: {phone: "01012345679", amount: "41"}
  - check: {phone: "01012345679", amount: "41", user_name: "7", expect: completed}
`

it('simulate run against a shared `serve --dev` works on its own store: another store\'s PENDING transfer, callback, anti-spam and the server clock are untouched', async () => {
  const dir = tempDir()
  const s = await spawnServe(dir, ['--dev'])
  children.push(s)
  const dev = s.ready.dev_store!
  const set = await runCli(['store', 'set', dev.id, '--data-dir', dir, '--callback', 'get', '--callback-url', 'http://127.0.0.1:9/paid', '--no-anti-spam'])
  expect(set.code, set.stderr).toBe(0)
  const real = await postSms({url: s.ready.url, deviceToken: dev.device_token}, VF_R1('01098765432', '500', '012345678901'))
  expect(real.status, JSON.stringify(real.json)).toBe(201)
  const realTx = (real.json.transaction as {id: string}).id
  const before = await storeState(dir, dev.id)

  const file = path.join(tempDir(), 'shared.yaml')
  fs.writeFileSync(file, SCENARIO)
  const r = await runCli(['simulate', 'run', file, '--server', s.ready.url, '--data-dir', dir, '--store', dev.id, '--json'], {timeoutMs: 60_000})
  const out = JSON.parse(r.stdout) as {ok: boolean; store_id: string; throwaway_store: boolean; steps: {ok: boolean; name: string; actual: string}[]}
  expect(out.steps.filter((x) => !x.ok)).toEqual([])
  expect(r.code, r.stderr).toBe(0)

  // The other store: same PENDING transfer, same settings (callback, anti-spam, updated_at).
  expect(await txStatus(dir, realTx)).toBe('PENDING')
  expect(await storeState(dir, dev.id)).toEqual(before)
  // The server's clock is real time: a new SMS is dated now and stays claimable.
  const after = await postSms({url: s.ready.url, deviceToken: dev.device_token}, VF_R1('01098765431', '501', '012345678902'))
  const tx = after.json.transaction as {id: string; received_at: string}
  expect(Math.abs(Date.parse(tx.received_at) - Date.now())).toBeLessThan(60_000)
  expect(await txStatus(dir, tx.id)).toBe('PENDING')
  // The run's own store is left marked as finished, with nothing that can use it.
  const list = await runCli(['store', 'list', '--data-dir', dir, '--json'])
  const stores = JSON.parse(list.stdout) as {stores?: {id: string; name: string}[]} | {id: string; name: string}[]
  const all = Array.isArray(stores) ? stores : stores.stores!
  expect(all).toHaveLength(2)
  const own = all.find((x) => x.id !== dev.id)!
  expect(out).toMatchObject({store_id: own.id, throwaway_store: true})
  expect(own.name).toBe('simulate (finished, safe to delete)')
  expect((await storeState(dir, own.id)).store).toMatchObject({callback: {kind: 'none'}})
}, 90_000)
