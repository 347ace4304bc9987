import {expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {runCli, tempDir, VF_R1} from '../support/vcash.js'

it('tx approve refuses an unclaimed transfer with the fix; tx match completes it once, naming the operator', async () => {
  const dir = tempDir()
  const l = await openLocal({dataDir: dir, holder: 'test'})
  const {store} = await l.service.createStore({name: 'Shop', callback: {kind: 'none'}, mode: 'development'})
  const r = await l.service.ingestSms(store, {sender: 'VF-Cash', body: VF_R1('01044440000', '120', '550000001'), source: 'test'})
  await l.close()
  const id = r.transaction!.id

  const approve = await runCli(['tx', 'approve', id, '--data-dir', dir, '--json'])
  expect(approve.code).toBe(2)
  expect(JSON.parse(approve.stdout)).toMatchObject({status: false, code: 'invalid_state', suggestion: expect.stringMatching(/tx match/)})

  const noCustomer = await runCli(['tx', 'match', id, '--data-dir', dir, '--json'])
  expect(noCustomer.code).toBe(2)
  expect(JSON.parse(noCustomer.stdout)).toMatchObject({code: 'invalid_input'})

  const match = await runCli(['tx', 'match', id, '--user-name', 'Mona Ali (42)', '--client-id', '42', '--data-dir', dir, '--json'])
  expect(match.code, match.stderr).toBe(0)
  expect(JSON.parse(match.stdout)).toMatchObject({transaction: {id, status: 'COMPLETED', user_name: 'Mona Ali (42)'}})
  const again = await runCli(['tx', 'match', id, '--user-name', 'Someone Else', '--data-dir', dir, '--json'])
  expect(again.code).toBe(2)
  expect(JSON.parse(again.stdout)).toMatchObject({code: 'invalid_state'})

  const check = await openLocal({dataDir: dir, holder: 'test'})
  const tx = (await check.storage.getTransaction(id))!
  await check.close()
  expect(tx.audit.map((a) => a.to)).toEqual(['PENDING', 'COMPLETED'])
  expect(tx.audit[1]!.by).toMatch(/^cli:/)
  expect(tx.clientId).toBe('42')
})
