/**
 * The WHMCS gateway module's calls, as each release makes them (contract §1), against a real
 * `vcash serve` core on loopback and a fake WHMCS that implements AddCredit, GetCredits and
 * GetClients with slow, down and "applied but the connection dropped" modes.
 */
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {FakeWhmcs} from '../support/fake-whmcs.js'
import {until} from '../support/until.js'
import {check, postSms, startServer, type TestServer, VF_R1} from '../support/vcash.js'

let whmcs: FakeWhmcs
let t: TestServer
let ref = 700_000_000

beforeEach(async () => {
  whmcs = await FakeWhmcs.start({clients: [
    {id: 42, firstname: 'Mona', lastname: 'Ali', email: 'mona@example.com'},
    {id: 43, firstname: 'Omar', lastname: 'Said', email: 'omar@example.com'},
  ]})
  t = await startServer({creditWaitMs: 2000, dispatcher: {pollMs: 50, scheduleMs: [0, 100, 200, 300, 400]}})
  await t.server.local.service.updateStore(t.storeId, {callback: {kind: 'whmcs', ...whmcs.config}, rate: '50', currencyLabel: 'USD'})
})

afterEach(async () => {
  await t.close()
  await whmcs.close()
})

async function transfer(phone: string, amount: string): Promise<string> {
  const r = await postSms(t, VF_R1(phone, amount, String(ref++)))
  expect(r.status).toBe(201)
  return (r.json.transaction as {id: string}).id
}

const applied = () => whmcs.addCreditCalls.filter((c) => c.applied)

describe('the WHMCS module against vcash', () => {
  it('v1.7 with a WHMCS that takes 300 ms: the credit is in WHMCS before the true answer; a repeat and another client get no true', async () => {
    await whmcs.setMode('slow', {delayMs: 300})
    const id = await transfer('01012340001', '101')
    const first = await check(t, {phone: '01012340001', amount: '101', user_name: 'Mona Ali (42)', client_id: '42', lang: 'en'})
    // By the time the module reads true, WHMCS holds the credit it will apply.
    const creditsAtAnswer = whmcs.credits(42).length
    expect(first.json).toMatchObject({status: true, transaction_id: id})
    expect(creditsAtAnswer).toBe(1)
    expect(whmcs.credits(42)[0]).toMatchObject({amount: '2.02', description: `VodafoneCash payment - trans_id: ${id}`})
    const again = await check(t, {phone: '01012340001', amount: '101', user_name: 'Mona Ali (42)', client_id: '42', lang: 'en'})
    expect(again.json).toMatchObject({status: false, code: 'already_confirmed', transaction_id: id})
    const other = await check(t, {phone: '01012340001', amount: '101', user_name: 'Omar Said (43)', client_id: '43', lang: 'en'})
    expect(other.json.status).toBe(false)
    expect(applied()).toHaveLength(1)
    expect(whmcs.credits(43)).toHaveLength(0)
  })

  it('older releases: a numeric user_name is the client id; v1.4–v1.5 send "Name (email)" and are credited through GetClients', async () => {
    await transfer('01012340002', '50')
    expect((await check(t, {phone: '01012340002', amount: '50', user_name: '43'})).json.status).toBe(true)
    expect(whmcs.credits(43)).toHaveLength(1)
    await transfer('01012340003', '100')
    expect((await check(t, {phone: '01012340003', amount: '100', user_name: 'Mona Ali (mona@example.com)'})).json.status).toBe(true)
    expect(whmcs.credits(42)).toHaveLength(1)
    expect(whmcs.calls.some((c) => c.action.toLowerCase() === 'getclients')).toBe(true)
  })

  it('WHMCS down for the whole wait: credit_pending, then after it recovers exactly one true and exactly one AddCredit', async () => {
    await whmcs.setMode('down')
    const id = await transfer('01012340004', '100')
    const pending = await check(t, {phone: '01012340004', amount: '100', user_name: 'Mona Ali (42)', client_id: '42'})
    expect(pending.json).toMatchObject({status: false, code: 'credit_pending', transaction_id: id})
    await whmcs.setMode('normal')
    await until('the credit in WHMCS', () => whmcs.credits(42).length === 1)
    const answers = await Promise.all([1, 2, 3].map(() => check(t, {phone: '01012340004', amount: '100', user_name: 'Mona Ali (42)', client_id: '42'})))
    expect(answers.filter((a) => a.json.status === true)).toHaveLength(1)
    expect(answers.filter((a) => a.json.code === 'already_confirmed')).toHaveLength(2)
    expect(applied()).toHaveLength(1)
  })

  it('AddCredit applied but the connection dropped: the next attempt asks GetCredits and sends nothing again', async () => {
    await whmcs.setMode('drop-after-apply', {actions: ['AddCredit']})
    const id = await transfer('01012340005', '100')
    // The dropped answer leaves the outcome unknown; the retry asks WHMCS, finds the credit, and
    // the check (still inside its wait) gets the one true.
    const first = await check(t, {phone: '01012340005', amount: '100', user_name: 'Mona Ali (42)', client_id: '42'})
    expect(first.json).toMatchObject({status: true, transaction_id: id})
    expect(whmcs.calls.some((c) => c.action.toLowerCase() === 'getcredits')).toBe(true)
    expect(whmcs.credits(42)).toHaveLength(1)
    expect(whmcs.addCreditCalls).toHaveLength(1)
    expect((await t.server.local.storage.getCredit(`${t.storeId}:${id}`))?.state).toBe('confirmed')
    expect((await check(t, {phone: '01012340005', amount: '100', user_name: 'Mona Ali (42)', client_id: '42'})).json.code).toBe('already_confirmed')
  })

  it('a check that names no WHMCS client fails its notification at once with the reason, instead of retrying for days', async () => {
    const id = await transfer('01012340006', '100')
    expect((await check(t, {phone: '01012340006', amount: '100', user_name: 'just a name'})).json.code).toBe('credit_pending')
    let n = (await t.server.local.storage.listNotifications({transactionId: id}))[0]
    for (let i = 0; i < 100 && n?.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 20))
      n = (await t.server.local.storage.listNotifications({transactionId: id}))[0]
    }
    expect(n?.state).toBe('failed')
    expect(n?.lastError).toMatch(/named no WHMCS client/)
    expect(whmcs.addCreditCalls).toHaveLength(0)
  })
})
