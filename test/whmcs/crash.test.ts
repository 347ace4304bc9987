/**
 * SIGKILL between AddCredit reaching WHMCS and its answer: after a restart WHMCS holds exactly
 * one credit for that transaction (the credit row was written before sending; the restarted
 * dispatcher asks GetCredits before sending again).
 */
import {afterEach, expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {FakeWhmcs} from '../support/fake-whmcs.js'
import {until} from '../support/until.js'
import {spawnServe, type ServeChild, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const children: ServeChild[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
})

it('a SIGKILL while WHMCS is applying AddCredit leaves exactly one credit after the restart', async () => {
  const whmcs = await FakeWhmcs.start({clients: [{id: 42, firstname: 'Mona', lastname: 'Ali', email: 'mona@example.com'}]})
  const dir = tempDir()
  const first = await spawnServe(dir)
  children.push(first)
  const storeId = first.ready.dev_store!.id
  // Configure the store from the CLI side, beside the running server.
  const l = await openLocal({dataDir: dir, holder: 'cli'})
  await l.service.updateStore(storeId, {callback: {kind: 'whmcs', ...whmcs.config}})
  await l.close()
  // WHMCS applies the credit on arrival and answers only after 10 s: the kill lands in between.
  await whmcs.setMode('slow', {delayMs: 10_000, actions: ['AddCredit']})
  const sms = await fetch(`${first.ready.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${first.ready.dev_store!.device_token}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1('01077770000', '100', '660000001')})})
  expect(sms.status).toBe(201)
  const tx = ((await sms.json()) as {transaction: {id: string}}).transaction.id
  const claim = fetch(`${first.ready.url}/api/payment_link_check?store_id=${storeId}&phone=01077770000&amount=100&user_name=Mona%20Ali%20(42)&client_id=42`).catch(() => null)
  await until('the credit in WHMCS', () => whmcs.credits(42).length === 1, 15_000)
  first.child.kill('SIGKILL')
  await waitExit(first.child)
  expect(await claim).toBeNull()
  await whmcs.setMode('normal')

  const second = await spawnServe(dir)
  children.push(second)
  // Every 25 ms, not faster: each look opens the data dir beside the running server.
  await until('the credit confirmed after the restart', async () => {
    const r = await openLocal({dataDir: dir, holder: 'cli'})
    try {
      return (await r.storage.getCredit(`${storeId}:${tx}`))?.state === 'confirmed'
    } finally {
      await r.close()
    }
  }, 15_000, 25)
  expect(whmcs.credits(42)).toHaveLength(1)
  expect(whmcs.addCreditCalls.filter((c) => c.applied)).toHaveLength(1)
  expect(whmcs.calls.some((c) => c.action.toLowerCase() === 'getcredits')).toBe(true)
  // The customer's next check gets the one true.
  const after = await fetch(`${second.ready.url}/api/payment_link_check?store_id=${storeId}&phone=01077770000&amount=100&user_name=Mona%20Ali%20(42)&client_id=42`)
  expect(((await after.json()) as {status: boolean}).status).toBe(true)
  await whmcs.close()
}, 60_000)
