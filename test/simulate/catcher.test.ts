import http from 'node:http'

import {afterEach, describe, expect, it} from 'vitest'

import {Catcher, FAKE_WHMCS} from '../../src/simulate/catcher.js'

const catchers: Catcher[] = []
afterEach(async () => {
  for (const c of catchers.splice(0)) await c.stop()
})

async function started(): Promise<Catcher> {
  const c = new Catcher()
  await c.start()
  catchers.push(c)
  return c
}

async function whmcs(c: Catcher, form: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(`${c.url}/whmcs/includes/api.php`, {method: 'POST', body: new URLSearchParams(form)})
  return (await res.json()) as Record<string, unknown>
}

describe('the run\'s catcher', () => {
  it('answers AddCredit like WHMCS: success with the right credentials, its own errors otherwise', async () => {
    const c = await started()
    const form = {action: 'AddCredit', ...FAKE_WHMCS, clientid: '47', amount: '2.00', description: 'VodafoneCash payment - trans_id: tx_1', responsetype: 'json'}
    expect(await whmcs(c, form)).toEqual({result: 'success', newbalance: '2.00'})
    expect(await whmcs(c, {...form, secret: 'wrong'})).toEqual({result: 'error', message: 'Authentication Failed'})
    expect(await whmcs(c, {...form, clientid: ''})).toMatchObject({result: 'error', message: 'Client ID Not Found'})
    expect(c.seen.map((s) => s.refused)).toEqual([null, 'Authentication Failed', 'Client ID Not Found'])
  })

  it('keeps the exact body even when a chunk ends inside an Arabic character', async () => {
    const c = await started()
    const body = Buffer.from(JSON.stringify({type: 'transaction.completed', data: {sender_name: 'سامي أحمد'}}))
    const cut = body.indexOf(Buffer.from('ا')) + 1 // in the middle of a two-byte character
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${c.url}/webhook?x=1`, {method: 'POST', headers: {'content-type': 'application/json', 'webhook-id': 'msg_1'}}, (res) => {
        res.resume()
        res.on('end', () => resolve())
      })
      req.on('error', reject)
      req.write(body.subarray(0, cut))
      setTimeout(() => req.end(body.subarray(cut)), 20)
    })
    expect(c.seen[0]).toMatchObject({method: 'POST', path: '/webhook', query: 'x=1', body: body.toString('utf8'), refused: null})
    expect(c.seen[0]!.headers['webhook-id']).toBe('msg_1')
  })
})
