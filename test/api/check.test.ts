import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {check, postSms, startServer, type TestServer, VF_R1} from '../support/vcash.js'

let t: TestServer
let clock: Date

beforeEach(async () => {
  clock = new Date('2026-11-20T10:00:00Z')
  t = await startServer({now: () => clock})
})
afterEach(async () => {
  await t.close()
})

let refSeq = 100_000_000_000
const ref = () => String(refSeq++).padStart(12, '0')

async function transfer(phone: string, amount: string) {
  const r = await postSms(t, VF_R1(phone, amount, ref()))
  expect(r.status).toBe(201)
  return (r.json.transaction as {id: string}).id
}

describe('payment_link_check', () => {
  it('completes exactly once under 50 concurrent checks for one transfer', async () => {
    const id = await transfer('01011111111', '250')
    const answers = await Promise.all(Array.from({length: 50}, (_, i) => check(t, {phone: '01011111111', amount: '250', user_name: `user${i}`})))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    const winners = answers.filter((a) => a.json.status === true)
    expect(winners).toHaveLength(1)
    expect(winners[0]!.json.transaction_id).toBe(id)
    const tx = (await t.server.local.storage.getTransaction(id))!
    expect(tx.status).toBe('COMPLETED')
    expect(tx.audit.filter((a) => a.to === 'COMPLETED')).toHaveLength(1)
  })

  it('answers the WHMCS module shape: 200, boolean status, transaction_id, message in lang', async () => {
    const id = await transfer('01022222222', '100.50')
    // PHP float casting turns "100.50" into 100.5; the module sends a display name + client_id.
    const ar = await check(t, {phone: '+20 102 222 2222', amount: '100.5', user_name: 'Mona Test (42)', client_id: '42', lang: 'ar'})
    expect(ar.status).toBe(200)
    expect(ar.json).toMatchObject({status: true, code: 'completed', transaction_id: id, amount: '100.50'})
    expect(ar.json.message).toMatch(/[\u0600-\u06FF]/)
    const tx = (await t.server.local.storage.getTransaction(id))!
    expect(tx.userName).toBe('Mona Test (42)')
    expect(tx.clientId).toBe('42')
    const miss = await check(t, {phone: '01022222222', amount: '999', user_name: '42', lang: 'en'})
    expect(miss.status).toBe(200)
    expect(miss.json).toMatchObject({status: false, code: 'not_found'})
    expect(typeof miss.json.message).toBe('string')
  })

  it('says true once per transfer: a repeat by the same customer is already_confirmed and queues nothing', async () => {
    const id = await transfer('01033333333', '75')
    const first = await check(t, {phone: '01033333333', amount: '75', user_name: '7'})
    const again = await check(t, {phone: '01033333333', amount: '75', user_name: '7'})
    expect(first.json).toMatchObject({status: true, transaction_id: id})
    expect(again.json).toMatchObject({status: false, code: 'already_confirmed', transaction_id: id})
    const other = await check(t, {phone: '01033333333', amount: '75', user_name: '8'})
    expect(other.json.status).toBe(false)
    // A check naming nobody never matches an earlier success.
    expect((await check(t, {phone: '01033333333', amount: '75'})).json).toMatchObject({status: false, code: 'not_found'})
    const tx = (await t.server.local.storage.getTransaction(id))!
    expect(tx.audit.map((a) => a.to)).toEqual(['PENDING', 'COMPLETED'])
  })

  it('order_id is the one idempotency key: the same order gets the same true, another order never does', async () => {
    const id = await transfer('01033333334', '80')
    const first = await check(t, {phone: '01033333334', amount: '80', user_name: '7', order_id: 'A-1'})
    expect(first.json).toMatchObject({status: true, transaction_id: id})
    expect((await check(t, {phone: '01033333334', amount: '80', user_name: '7', order_id: 'A-1'})).json).toMatchObject({status: true, transaction_id: id})
    expect((await check(t, {phone: '01033333334', amount: '80', user_name: '7', order_id: 'A-2'})).json.status).toBe(false)
    expect((await check(t, {phone: '01033333334', amount: '80', order_id: 'A-3'})).json.status).toBe(false)
    const tx = (await t.server.local.storage.getTransaction(id))!
    expect(tx.audit.map((a) => a.to)).toEqual(['PENDING', 'COMPLETED'])
    expect(tx.orderId).toBe('A-1')
  })

  it('approve applies only to a held transfer; match completes an unclaimed one once, for a named customer', async () => {
    const id = await transfer('01033333335', '90')
    const approve = await fetch(`${t.url}/api/transactions/${id}/approve`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`}})
    expect(approve.status).toBe(409)
    expect(((await approve.json()) as {code: string}).code).toBe('invalid_state')
    const match = () => fetch(`${t.url}/api/transactions/${id}/match`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`, 'content-type': 'application/json'}, body: JSON.stringify({user_name: 'Mona Ali (42)', client_id: '42'})})
    const [a, b] = await Promise.all([match(), match()])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    const tx = (await t.server.local.storage.getTransaction(id))!
    expect(tx.status).toBe('COMPLETED')
    expect(tx.userName).toBe('Mona Ali (42)')
    expect(tx.audit.at(-1)!.by).toMatch(/^api:/)
    // The customer's own check then gets the one true.
    expect((await check(t, {phone: '01033333335', amount: '90', user_name: 'Mona Ali (42)', client_id: '42'})).json).toMatchObject({status: true, transaction_id: id})
    expect((await check(t, {phone: '01033333335', amount: '90', user_name: 'Mona Ali (42)', client_id: '42'})).json).toMatchObject({code: 'already_confirmed'})
  })

  it('matches the oldest PENDING transfer first', async () => {
    const older = await transfer('01044444444', '60')
    clock = new Date(clock.getTime() + 60_000)
    const newer = await transfer('01044444444', '60')
    const a = await check(t, {phone: '01044444444', amount: '60', user_name: 'a'})
    const b = await check(t, {phone: '01044444444', amount: '60', user_name: 'b'})
    expect(a.json.transaction_id).toBe(older)
    expect(b.json.transaction_id).toBe(newer)
  })

  it('does not match outside the match window, and the sweep expires the transfer', async () => {
    const id = await transfer('01055555555', '40')
    clock = new Date(clock.getTime() + 25 * 60 * 60 * 1000)
    const late = await check(t, {phone: '01055555555', amount: '40', user_name: 'x'})
    expect(late.json.status).toBe(false)
    expect(await t.server.local.service.expireDue()).toBe(1)
    expect((await t.server.local.storage.getTransaction(id))!.status).toBe('EXPIRED')
  })

  it('rate-limits failed checks per store and client address with 429 and Retry-After', async () => {
    // The merchant's backend calls from one address for all its customers: the limit is generous.
    for (let i = 0; i < 60; i++) {
      const r = await check(t, {phone: `010100000${String(i).padStart(2, '0')}`, amount: '5'})
      expect(r.status).toBe(200)
    }
    const limited = await check(t, {phone: '01010000099', amount: '5'})
    expect(limited.status).toBe(429)
    expect(limited.json).toMatchObject({status: false, code: 'rate_limited'})
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    clock = new Date(clock.getTime() + 11 * 60 * 1000)
    expect((await check(t, {phone: '01010000099', amount: '5'})).status).toBe(200)
  })

  it('enforces the store IP allowlist and an optional token', async () => {
    await t.server.local.service.updateStore(t.storeId, {allowIps: ['203.0.113.0/24']})
    await transfer('01066666666', '10')
    const denied = await check(t, {phone: '01066666666', amount: '10'})
    expect(denied.status).toBe(403)
    expect(denied.json.code).toBe('forbidden_ip')
    await t.server.local.service.updateStore(t.storeId, {allowIps: ['127.0.0.1'], requireToken: true})
    expect((await check(t, {phone: '01066666666', amount: '10'})).status).toBe(401)
    expect((await check(t, {phone: '01066666666', amount: '10', token: 'vk_wrong'})).status).toBe(401)
    const ok = await check(t, {phone: '01066666666', amount: '10', token: t.apiToken})
    expect(ok.json.status).toBe(true)
  })

  it('claims a phone-less transfer (Orange Cash) by its reference and amount', async () => {
    const body = 'تم إستلام عملية تحويل أموال بمبلغ 150.00 جنيه من SAMY H Ahmed، رصيدك الحالي 366.22 جنيه. رقم المعاملة 1908287136'
    const r = await postSms(t, body, 'Orange Cash')
    expect(r.status).toBe(201)
    const id = (r.json.transaction as {id: string; sender_phone: string | null}).id
    expect((await check(t, {phone: '', reference: '1908287136', amount: '149', user_name: 'o'})).json.code).toBe('not_found')
    expect((await check(t, {reference: '1908287136', amount: '150', user_name: 'o'})).json).toMatchObject({status: true, transaction_id: id})
    expect((await check(t, {reference: '1908287136', amount: '150', user_name: 'o'})).json).toMatchObject({status: false, code: 'already_confirmed', transaction_id: id})
    expect((await check(t, {reference: '1908287136', amount: '150', user_name: 'p'})).json.status).toBe(false)
    expect((await check(t, {reference: 'no spaces!', amount: '150'})).status).toBe(400)
    expect((await check(t, {amount: '150'})).status).toBe(400)
  })
})

describe('bank InstaPay credits: claimed without a phone (issue #13)', () => {
  const nbe = (amount: string, name: string, ref: string) => `تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ ${amount} جم من ${name} رقم مرجعي ${ref} يوم 04-14 الساعة 09:19 للمزيد اتصل بـ 19623`

  it('by the payer name as the bank wrote it: every word of the shorter name, never a first name alone', async () => {
    const r = await postSms(t, nbe('250.00', 'محمود عبد الرحمن السيد', '990470670199'), 'BanK-AlAhly')
    expect(r.status).toBe(201)
    const tx = r.json.transaction as {id: string; sender_phone: string | null; account_last4: string | null}
    expect(tx).toMatchObject({sender_phone: null, account_last4: '0130'})
    // A shared first name is not enough; a wrong amount is not a match.
    expect((await check(t, {phone: '', payer_name: 'محمود', amount: '250', user_name: 'c1'})).json.code).toBe('not_found')
    expect((await check(t, {phone: '', payer_name: 'محمود عبد الرحمن', amount: '251', user_name: 'c1'})).json.code).toBe('not_found')
    // Hamza and spacing forms of the same name (عبدالرحمن / عبد الرحمن) match.
    expect((await check(t, {phone: '', payer_name: 'محمود عبدالرحمن', amount: '250', user_name: 'c1'})).json).toMatchObject({status: true, transaction_id: tx.id})
    expect((await check(t, {phone: '', payer_name: 'محمود عبدالرحمن', amount: '250', user_name: 'c1'})).json).toMatchObject({status: false, code: 'already_confirmed'})
  })

  it('two waiting credits that fit one name: neither completes by a guess, the oldest waits for the operator', async () => {
    const a = await postSms(t, nbe('300.00', 'AHMED MOHAMED ALI', '990470670301'), 'BanK-AlAhly')
    const b = await postSms(t, nbe('300.00', 'AHMED MOHAMED HASSAN', '990470670302'), 'BanK-AlAhly')
    const ids = [a, b].map((r) => (r.json.transaction as {id: string}).id)
    const held = await check(t, {phone: '', payer_name: 'Ahmed Mohamed', amount: '300', user_name: 'c2'})
    expect(held.json).toMatchObject({status: false, code: 'awaiting_approval', transaction_id: ids[0]})
    const tx = await t.server.local.service.requireTransaction(ids[0]!)
    expect(tx.heldBy[0]).toMatch(/^ambiguous_payer: 2 waiting credits match this name/)
    // The full name names one of them.
    expect((await check(t, {phone: '', payer_name: 'Ahmed Mohamed Hassan', amount: '300', user_name: 'c3'})).json).toMatchObject({status: true, transaction_id: ids[1]})
  })

  it('by the payer InstaPay address, with or without @instapay', async () => {
    const body = 'Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 1,080.00 on 03-05-2026 17:06 from samysample29@instapay with reference 208ad9e4. For further details, please contact HSBC call centre'
    const r = await postSms(t, body, 'HSBC')
    const id = (r.json.transaction as {id: string}).id
    expect((await check(t, {phone: '', payer_address: 'someoneelse@instapay', amount: '1080', user_name: 'c4'})).json.code).toBe('not_found')
    expect((await check(t, {phone: '', payer_address: 'bad address!', amount: '1080'})).status).toBe(400)
    expect((await check(t, {phone: '', payer_address: 'SamySample29', amount: '1080', user_name: 'c4'})).json).toMatchObject({status: true, transaction_id: id})
  })
})

describe('the server\'s store cache and another process\'s changes', () => {
  it('tokens rotated by a CLI command stop working at once, in the same server, without a restart', async () => {
    expect((await postSms(t, VF_R1('01044440000', '10', '770000001'))).status).toBe(201)
    // Another process (as `vcash store set --rotate-tokens` beside the server) opens the ledger itself.
    const cli = await openLocal({dataDir: t.dataDir, holder: 'cli'})
    const rotated = await cli.service.rotateTokens(t.storeId)
    await cli.close()
    expect((await postSms(t, VF_R1('01044440000', '11', '770000002'))).status).toBe(401)
    expect((await postSms({url: t.url, deviceToken: rotated.deviceToken}, VF_R1('01044440000', '11', '770000002'))).status).toBe(201)
  })

  it('tokens rotated in the server itself stop working at once too', async () => {
    expect((await postSms(t, VF_R1('01044440001', '9', '770000004'))).status).toBe(201)
    const rotated = await t.server.local.service.rotateTokens(t.storeId)
    expect((await postSms(t, VF_R1('01044440001', '10', '770000003'))).status).toBe(401)
    expect((await postSms({url: t.url, deviceToken: rotated.deviceToken}, VF_R1('01044440001', '10', '770000003'))).status).toBe(201)
  })
})

describe('anti-spam', () => {
  it('holds a tripped match for approval; approving completes it', async () => {
    await t.server.local.service.updateStore(t.storeId, {antiSpam: {enabled: true, amountOver: '1000'}})
    const small = await transfer('01077777777', '500')
    const big = await transfer('01077777777', '5000')
    expect((await check(t, {phone: '01077777777', amount: '500', user_name: 'u'})).json).toMatchObject({status: true, transaction_id: small})
    const held = await check(t, {phone: '01077777777', amount: '5000', user_name: 'u'})
    expect(held.status).toBe(200)
    expect(held.json).toMatchObject({status: false, requires_verification: true, code: 'awaiting_approval', transaction_id: big})
    // A repeat while it waits says the same, not "not found".
    expect((await check(t, {phone: '01077777777', amount: '5000', user_name: 'u'})).json).toMatchObject({requires_verification: true})

    const res = await fetch(`${t.url}/api/transactions/${big}/approve`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`}})
    expect(res.status).toBe(200)
    const body = (await res.json()) as {transaction: {status: string; audit: {to: string; by: string}[]}}
    expect(body.transaction.status).toBe('COMPLETED')
    expect(body.transaction.audit.map((a) => a.to)).toEqual(['PENDING', 'AWAITING_APPROVAL', 'COMPLETED'])
    expect((await check(t, {phone: '01077777777', amount: '5000', user_name: 'u'})).json).toMatchObject({status: true, transaction_id: big})
    // Deciding twice is a conflict, not a second completion.
    const twice = await fetch(`${t.url}/api/transactions/${big}/reject`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`}})
    expect(twice.status).toBe(409)
    expect(((await twice.json()) as {code: string}).code).toBe('invalid_state')
  })

  it('holds a first payment, failed checks before the match, and duplicate pending transfers', async () => {
    await t.server.local.service.updateStore(t.storeId, {antiSpam: {enabled: true, firstPayment: true, duplicatePending: false}})
    await transfer('01088888888', '20')
    expect((await check(t, {phone: '01088888888', amount: '20'})).json.code).toBe('awaiting_approval')

    await t.server.local.service.updateStore(t.storeId, {antiSpam: {enabled: true, firstPayment: false, failedChecksBefore: 3, duplicatePending: false}})
    await transfer('01099999999', '30')
    for (let i = 0; i < 3; i++) await check(t, {phone: '01099999999', amount: `3${i + 1}`})
    const afterFails = await check(t, {phone: '01099999999', amount: '30'})
    expect(afterFails.json).toMatchObject({code: 'awaiting_approval'})
    const tx = (await t.server.local.storage.getTransaction(String(afterFails.json.transaction_id)))!
    expect(tx.heldBy).toEqual(['failed_checks'])

    await t.server.local.service.updateStore(t.storeId, {antiSpam: {enabled: true, failedChecksBefore: null, duplicatePending: true}})
    await transfer('01122222222', '15')
    const second = await transfer('01122222222', '15')
    const dup = await check(t, {phone: '01122222222', amount: '15', user_name: 'z'})
    expect(dup.json.code).toBe('awaiting_approval')
    const rej = await fetch(`${t.url}/api/transactions/${String(dup.json.transaction_id)}/reject`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`, 'content-type': 'application/json'}, body: JSON.stringify({reason: 'not the payer'})})
    expect(rej.status).toBe(200)
    expect(((await rej.json()) as {transaction: {status: string}}).transaction.status).toBe('REJECTED')
    // The other transfer is alone now: the next claim completes it.
    expect((await check(t, {phone: '01122222222', amount: '15', user_name: 'z'})).json).toMatchObject({status: true, transaction_id: second})
  })

  it('tells a customer whose held transfer was rejected', async () => {
    await t.server.local.service.updateStore(t.storeId, {antiSpam: {enabled: true, amountOver: '1'}})
    const id = await transfer('01155555555', '50')
    expect((await check(t, {phone: '01155555555', amount: '50', user_name: 'r'})).json.code).toBe('awaiting_approval')
    await t.server.local.service.reject(id, 'test', 'fraud')
    expect((await check(t, {phone: '01155555555', amount: '50', user_name: 'r'})).json).toMatchObject({status: false, code: 'rejected', transaction_id: id})
  })
})

describe('SMS ingest', () => {
  it('answers 201 new, 200 duplicate, 202 ignored, and keeps untrusted senders out', async () => {
    const body = VF_R1('01012312312', '300', '019146659821')
    expect((await postSms(t, body)).status).toBe(201)
    expect((await postSms(t, body)).status).toBe(200)
    // Same SMS through a forwarder that flattened line breaks: still a duplicate.
    expect((await postSms(t, body.replace(/\n/g, ' '))).status).toBe(200)
    const fraud = await postSms(t, body.replace('019146659821', '019146659822'), '+201012345678')
    expect(fraud.status).toBe(202)
    expect(fraud.json.reason).toBe('untrusted_sender')
    const send = await postSms(t, 'تم تحويل 500 جنيه لرقم 01000000024 مصاريف الخدمة 0 جنيه رصيد حسابك فى فودافون كاش الحالي 450.15.')
    expect(send.status).toBe(202)
    expect((await t.server.local.storage.countTransactions())).toBe(1)
    expect((await t.server.local.storage.countSms())).toBe(3)
  })
})
