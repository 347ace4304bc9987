import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it} from 'vitest'

import {verifySignedQuery} from '../../src/notify/sign.js'
import {renderReceipt} from '../../src/simulate/render.js'
import {type CheckoutServer, eventually, merchantSite, startCheckout} from '../support/checkout.js'
import {cairoStamp} from '../support/vcash.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

async function setup() {
  const shop = await merchantSite()
  closers.push(shop.close)
  const t = await startCheckout({webhook: `${shop.url}/hooks`})
  closers.push(t.close)
  const secret = (await t.server.local.service.requireStore(t.storeId)).signingSecret
  const webhooks = (type: string) => shop.seen.filter((s) => s.method === 'POST').map((s) => {
    // Every webhook must verify with the official library, or it is not one.
    const body = new Webhook(secret).verify(s.body, {'webhook-id': String(s.headers['webhook-id']), 'webhook-timestamp': String(s.headers['webhook-timestamp']), 'webhook-signature': String(s.headers['webhook-signature'])}) as {type: string; data: Record<string, unknown>}
    return body
  }).filter((b) => b.type === type)
  return {t, shop, secret, webhooks}
}

async function intentOf(t: CheckoutServer, id: string) {
  return (await t.api('GET', `/api/intents/${id}`)).json
}

describe('payment intents over HTTP (contract §6)', () => {
  it('creates an intent with the store token, and the same order_id answers the same intent', async () => {
    const {t, shop} = await setup()
    const a = await t.createIntent({amount: '505.00', order_id: 'A-1001', expires_in_minutes: 30, return_url: `${shop.url}/thanks?from=vcash`, metadata: {cart: 7}, customer_phone: '٠١٠١٢٣٤٥٦٧٨'})
    expect(a.status).toBe(201)
    expect(a.json).toMatchObject({status: 'pending', amount: '505.00', order_id: 'A-1001', customer_phone: '01012345678', metadata: {cart: 7}})
    expect(a.json.id).toMatch(/^pi_[A-Za-z0-9_-]{20,}$/)
    expect(a.json.pay_to).toEqual([{provider: 'vodafone_cash', wallet: '01000000002'}, {provider: 'instapay', wallet: 'shop@instapay'}])
    expect(a.json.checkout_url).toBe(`${t.url}/pay/${String(a.json.id)}`)
    const left = Date.parse(String(a.json.expires_at)) - Date.now()
    expect(left).toBeGreaterThan(29 * 60_000)
    expect(left).toBeLessThanOrEqual(30 * 60_000)

    const again = await t.createIntent({amount: '505', order_id: 'A-1001'})
    expect(again.status).toBe(200)
    expect(again.json.id).toBe(a.json.id)
    // Two creates of one order at once still make one intent.
    const racing = await Promise.all([1, 2, 3].map(() => t.createIntent({amount: '10', order_id: 'A-race'})))
    expect(new Set(racing.map((r) => r.json.id)).size).toBe(1)
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 201])

    expect((await t.createIntent({amount: '600', order_id: 'A-1001'})).json.code).toBe('order_conflict')
    expect((await t.api('GET', `/api/intents/${String(a.json.id)}`)).json.id).toBe(a.json.id)
    expect((await t.api('GET', '/api/intents?order_id=A-1001')).json.id).toBe(a.json.id)
    expect((await t.api('GET', '/api/intents?order_id=nope')).status).toBe(404)
    const list = await t.api('GET', '/api/intents?status=pending')
    expect((list.json.intents as unknown[]).length).toBe(2)
  })

  it('refuses what is not an intent: bad amounts, unknown fields, http return URLs in production, no token', async () => {
    const {t} = await setup()
    for (const [body, field] of [
      [{amount: 505, order_id: 'x'}, 'amount'],
      [{amount: '-5', order_id: 'x'}, 'amount'],
      [{amount: '5.001', order_id: 'x'}, 'amount'],
      [{amount: '5', order_id: ''}, 'order_id'],
      [{amount: '5', order_id: 'x', expires_in_minutes: 0}, 'expires_in_minutes'],
      [{amount: '5', order_id: 'x', customer_phone: '123'}, 'customer_phone'],
      [{amount: '5', order_id: 'x', return_url: 'javascript:alert(1)'}, 'return_url'],
      [{amount: '5', order_id: 'x', colour: 'red'}, ''],
    ] as const) {
      const r = await t.createIntent(body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.json).toMatchObject({status: false, code: 'invalid_input'})
      if (field) expect((r.json.errors as {field: string}[])[0]!.field).toBe(field)
    }
    await t.update({mode: 'production', callback: {kind: 'none'}})
    expect((await t.createIntent({amount: '5', order_id: 'x', return_url: 'http://shop.example/thanks'})).json.code).toBe('invalid_input')
    expect((await t.createIntent({amount: '5', order_id: 'x', return_url: 'https://shop.example/thanks'})).status).toBe(201)
    const anon = await fetch(`${t.url}/api/intents`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"amount":"5","order_id":"y"}'})
    expect(anon.status).toBe(401)
    expect((await t.api('GET', '/api/intents/pi_doesnotexist0000')).status).toBe(404)
  })

  it('a receipt that arrived before the page was opened pays the intent when the payer gives the phone (Arabic-Indic digits too)', async () => {
    const {t, shop, secret, webhooks} = await setup()
    await t.receive('01012345678', '250.00')
    const {json: intent} = await t.createIntent({amount: '250', order_id: 'B-1', return_url: `${shop.url}/thanks`})
    const id = String(intent.id)
    const csrf = await t.csrf(id)
    const res = await t.claim(id, {phone: '٠١٠ ١٢٣٤ ٥٦٧٨', csrf})
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({status: true, outcome: 'paid', intent_status: 'paid', screen: 'paid'})
    const paid = await intentOf(t, id)
    expect(paid).toMatchObject({status: 'paid', payer_phone: '01012345678'})
    const tx = (await t.api('GET', `/api/transactions/${String(paid.transaction_id)}`)).json.transaction as Record<string, unknown>
    expect(tx.status).toBe('COMPLETED')

    // The merchant hears intent.paid (signed, verified above) with the transfer that paid it.
    const [event] = await eventually(() => (webhooks('intent.paid').length > 0 ? webhooks('intent.paid') : null))
    expect(event!.data).toMatchObject({id, status: 'paid', amount: '250.00', order_id: 'B-1', transaction_id: paid.transaction_id, payer_phone: '01012345678'})

    // The page, once paid, sends the customer back with a result signed under the store's secret.
    const page = await (await fetch(`${t.url}/pay/${id}?lang=en`)).text()
    const m = /http-equiv="refresh" content="3;url=([^"]+)"/.exec(page)
    const back = new URL(m![1]!.replace(/&amp;/g, '&'))
    expect(back.origin + back.pathname).toBe(`${shop.url}/thanks`)
    expect(Object.fromEntries(back.searchParams)).toMatchObject({intent_id: id, order_id: 'B-1', status: 'paid'})
    expect(verifySignedQuery(back.search.slice(1), secret)).toBe(true)
    expect(verifySignedQuery(back.search.slice(1).replace('status=paid', 'status=PAID'), secret)).toBe(false)

    // A second claim changes nothing.
    const again = await t.claim(id, {phone: '01012345678', csrf})
    expect(await again.json()).toMatchObject({outcome: 'closed', intent_status: 'paid'})
  })

  it('a receipt a gate holds (a week-old backfill) does not pay an intent by itself: both wait for the operator', async () => {
    const {t} = await setup()
    const weekAgo = new Date(Date.now() - 7 * 24 * 3_600_000)
    // The wallet's own date says it is a week old: the age gate holds it whoever claims it.
    const body = `تم استلام مبلغ 260 جنيه من رقم 01012340000 المسجل بإسم Ahmed S Example على رقم محفظتك  01000000002.\nتاريخ العملية: ${cairoStamp(weekAgo)}\nرقم العملية: 019140009999\n`
    const sms = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body})})
    expect(((await sms.json()) as {transaction: {holds: {gate: string}[]}}).transaction.holds).toEqual([expect.objectContaining({gate: 'too_old'})])
    const {json: intent} = await t.createIntent({amount: '260', order_id: 'G-1'})
    const id = String(intent.id)
    const res = await t.claim(id, {phone: '01012340000', csrf: await t.csrf(id)})
    expect(await res.json()).toMatchObject({intent_status: 'awaiting_approval'})
    const held = await intentOf(t, id)
    const tx = (await t.api('GET', `/api/transactions/${String(held.transaction_id)}`)).json.transaction as {status: string; held_by: string[]}
    expect(tx).toMatchObject({status: 'AWAITING_APPROVAL', held_by: ['too_old']})
  })

  it('a receipt that arrives after the claim pays the waiting intent; a transfer never pays two intents', async () => {
    const {t} = await setup()
    const one = String((await t.createIntent({amount: '99.50', order_id: 'C-1'})).json.id)
    const two = String((await t.createIntent({amount: '99.50', order_id: 'C-2'})).json.id)
    for (const id of [one, two]) {
      const r = await t.claim(id, {phone: '01122334455', csrf: await t.csrf(id)})
      expect(await r.json()).toMatchObject({outcome: 'waiting', intent_status: 'pending', screen: 'waiting'})
    }
    const sms = await t.receive('01122334455', '99.50')
    expect(sms.status).toBe(201)
    // The oldest waiting intent takes the one transfer; the other keeps waiting.
    expect((await intentOf(t, one)).status).toBe('paid')
    expect((await intentOf(t, two)).status).toBe('pending')
    expect((sms.json.transaction as Record<string, unknown>).status).toBe('COMPLETED')
    await t.receive('01122334455', '99.50')
    const a = await intentOf(t, one)
    const b = await intentOf(t, two)
    expect(b.status).toBe('paid')
    expect(a.transaction_id).not.toBe(b.transaction_id)
  })

  it('a transfer whose SMS names no payer phone is claimed by its reference', async () => {
    const {t} = await setup()
    // Orange Cash receipts carry a reference and no phone, as bank InstaPay transfers do.
    const sms = renderReceipt({provider: 'orange_cash', phone: '01212345678', amount: 120_000})
    expect(sms.hasPhone).toBe(false)
    const posted = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: sms.sender, body: sms.body})})
    expect(posted.status).toBe(201)
    const id = String((await t.createIntent({amount: '1200', order_id: 'D-1'})).json.id)
    const csrf = await t.csrf(id)
    expect((await t.claim(id, {phone: '', reference: '12', csrf})).status).toBe(400)
    const r = await t.claim(id, {phone: '', reference: ` ${sms.reference} `, csrf})
    expect(await r.json()).toMatchObject({outcome: 'paid'})
    expect((await intentOf(t, id)).payer_reference).toBe(sms.reference)
  })

  it('a bank InstaPay credit (no payer phone) is claimed by the name on the account or the InstaPay address, before or after it arrives', async () => {
    const {t} = await setup()
    const nbe = (amount: string, name: string, ref: string) => `تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ ${amount} جم من ${name} رقم مرجعي ${ref} يوم 04-14 الساعة 09:19 للمزيد اتصل بـ 19623`
    const bankSms = async (body: string, sender = 'BanK-AlAhly') => {
      const r = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender, body})})
      expect(r.status).toBe(201)
      return String(((await r.json()) as {transaction: {id: string}}).transaction.id)
    }
    // The credit first, then the claim by name (the bank's capitals and the payer's own spelling differ).
    const before = await bankSms(nbe('100.00', 'SAMPLE MOHAMED TESTER', '990470670501'))
    const a = String((await t.createIntent({amount: '100', order_id: 'N-1'})).json.id)
    // A first name alone is not a claim on anyone's money.
    expect(await (await t.claim(a, {phone: '', payer_name: 'Sample', csrf: await t.csrf(a)})).json()).toMatchObject({outcome: 'waiting'})
    expect(await (await t.claim(a, {phone: '', payer_name: 'Sample Mohamed Tester', csrf: await t.csrf(a)})).json()).toMatchObject({outcome: 'paid'})
    expect((await intentOf(t, a)).transaction_id).toBe(before)

    // The claim first (a phone typed too: the name wins), then the credit pays the waiting intent.
    const b = String((await t.createIntent({amount: '210.50', order_id: 'N-2'})).json.id)
    expect(await (await t.claim(b, {phone: '01012345678', payer_name: 'محمود عبدالرحمن', csrf: await t.csrf(b)})).json()).toMatchObject({outcome: 'waiting'})
    const after = await bankSms(nbe('210.50', 'محمود عبد الرحمن السيد', '990470670502'))
    const paid = await eventually(async () => ((await intentOf(t, b)).status === 'paid' ? intentOf(t, b) : null))
    expect(paid.transaction_id).toBe(after)

    // By InstaPay address, with or without the suffix; a malformed one is refused.
    const c = String((await t.createIntent({amount: '1080', order_id: 'N-3'})).json.id)
    expect((await t.claim(c, {phone: '', payer_address: 'bad address!', csrf: await t.csrf(c)})).status).toBe(400)
    expect(await (await t.claim(c, {phone: '', payer_address: 'SamySample29', csrf: await t.csrf(c)})).json()).toMatchObject({outcome: 'waiting'})
    // Dated now in Cairo: an older receipt would be held by the age gate (tested elsewhere).
    const cairo = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).formatToParts(new Date()).map((p) => [p.type, p.value]))
    const hsbc = await bankSms(`Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 1,080.00 on ${cairo.day}-${cairo.month}-${cairo.year} ${cairo.hour}:${cairo.minute} from samysample29@instapay with reference 208ad9e4. For further details, please contact HSBC call centre`, 'HSBC')
    expect((await eventually(async () => ((await intentOf(t, c)).status === 'paid' ? intentOf(t, c) : null))).transaction_id).toBe(hsbc)

    // Two waiting credits that fit one name: held for the operator, never paid by a guess.
    await bankSms(nbe('300.00', 'AHMED MOHAMED ALI', '990470670601'))
    await bankSms(nbe('300.00', 'AHMED MOHAMED HASSAN', '990470670602'))
    const d = String((await t.createIntent({amount: '300', order_id: 'N-4'})).json.id)
    expect(await (await t.claim(d, {phone: '', payer_name: 'Ahmed Mohamed', csrf: await t.csrf(d)})).json()).toMatchObject({outcome: 'awaiting_approval'})
    const held = await t.server.local.service.requireTransaction(String((await intentOf(t, d)).transaction_id))
    expect(held.heldBy[0]).toMatch(/^ambiguous_payer: 2 waiting credits/)
  })

  it('cancel: a pending intent only; its page says so and takes no claim', async () => {
    const {t} = await setup()
    const id = String((await t.createIntent({amount: '10', order_id: 'E-1'})).json.id)
    const csrf = await t.csrf(id)
    const c = await t.api('POST', `/api/intents/${id}/cancel`)
    expect(c.json.status).toBe('cancelled')
    expect((await t.api('POST', `/api/intents/${id}/cancel`)).json.status).toBe('cancelled')
    expect(await (await t.claim(id, {phone: '01012345678', csrf})).json()).toMatchObject({outcome: 'closed', intent_status: 'cancelled'})
    await t.receive('01012345678', '10')
    const paidId = String((await t.createIntent({amount: '10', order_id: 'E-2'})).json.id)
    await t.claim(paidId, {phone: '01012345678', csrf: await t.csrf(paidId)})
    const refused = await t.api('POST', `/api/intents/${paidId}/cancel`)
    expect(refused).toMatchObject({status: 409, json: {code: 'invalid_state'}})
    // Another store's token does not see it.
    const other = await t.server.local.service.createStore({name: 'Other', callback: {kind: 'none'}, mode: 'development'})
    const res = await fetch(`${t.url}/api/intents/${paidId}`, {headers: {authorization: `Bearer ${other.apiToken}`}})
    expect(res.status).toBe(404)
  })

  it('expiry: an unpaid intent expires in the sweep with intent.expired; a claimed one gets a grace for a late SMS', async () => {
    const {t, webhooks} = await setup()
    const lone = String((await t.createIntent({amount: '70', order_id: 'F-1', expires_in_minutes: 1})).json.id)
    const claimed = String((await t.createIntent({amount: '71', order_id: 'F-2', expires_in_minutes: 1})).json.id)
    const loneCsrf = await t.csrf(lone)
    await t.claim(claimed, {phone: '01012345678', csrf: await t.csrf(claimed)})
    t.server.clockOffsetMs += 2 * 60_000
    await t.server.local.service.expireDue()
    expect((await intentOf(t, lone)).status).toBe('expired')
    expect((await intentOf(t, claimed)).status).toBe('pending')
    const [ev] = await eventually(() => (webhooks('intent.expired').length > 0 ? webhooks('intent.expired') : null))
    expect(ev!.data).toMatchObject({id: lone, status: 'expired', order_id: 'F-1'})
    // The payer's transfer, reported a minute late, still pays.
    await t.receive('01012345678', '71')
    expect((await intentOf(t, claimed)).status).toBe('paid')
    // An expired page takes no claim.
    expect(await (await t.claim(lone, {phone: '01012345678', csrf: loneCsrf})).json()).toMatchObject({outcome: 'closed', intent_status: 'expired'})
  })

  it('a transfer held by anti-spam holds the intent; approving it pays the intent in the same step, rejecting rejects it', async () => {
    const {t, webhooks} = await setup()
    await t.update({antiSpam: {enabled: true, amountOver: '1000'}})
    await t.receive('01012345678', '5000')
    await t.receive('01098765432', '5000')
    const a = String((await t.createIntent({amount: '5000', order_id: 'G-1'})).json.id)
    const b = String((await t.createIntent({amount: '5000', order_id: 'G-2'})).json.id)
    expect(await (await t.claim(a, {phone: '01012345678', csrf: await t.csrf(a)})).json()).toMatchObject({outcome: 'awaiting_approval', screen: 'held'})
    expect(await (await t.claim(b, {phone: '01098765432', csrf: await t.csrf(b)})).json()).toMatchObject({outcome: 'awaiting_approval'})
    const ta = String((await intentOf(t, a)).transaction_id)
    const tb = String((await intentOf(t, b)).transaction_id)
    expect((await t.api('POST', `/api/transactions/${ta}/approve`)).status).toBe(200)
    expect((await t.api('POST', `/api/transactions/${tb}/reject`, {reason: 'not ours'})).status).toBe(200)
    expect((await intentOf(t, a)).status).toBe('paid')
    expect((await intentOf(t, b)).status).toBe('rejected')
    await eventually(() => webhooks('intent.paid').some((w) => w.data.id === a))
    expect(webhooks('intent.paid').some((w) => w.data.id === b)).toBe(false)
  })

  it('the claim form is protected: a token bound to the intent, this server\'s Origin, and limits per intent', async () => {
    const {t} = await setup()
    const id = String((await t.createIntent({amount: '10', order_id: 'H-1'})).json.id)
    const other = String((await t.createIntent({amount: '10', order_id: 'H-2'})).json.id)
    const csrf = await t.csrf(id)
    expect((await t.claim(id, {phone: '01012345678'})).status).toBe(403)
    expect((await t.claim(id, {phone: '01012345678', csrf: await t.csrf(other)})).status).toBe(403)
    expect((await t.claim(id, {phone: '01012345678', csrf}, {origin: 'https://evil.example'})).status).toBe(403)
    expect((await t.claim(id, {phone: '01012345678', csrf}, {origin: t.url})).status).toBe(200)
    expect((await t.claim(id, {phone: '12345', csrf})).status).toBe(400)
    let last = 0
    for (let i = 0; i < 10; i++) last = (await t.claim(id, {phone: '01012345678', csrf})).status
    expect(last).toBe(429)
    expect((await intentOf(t, id)).status).toBe('pending')
  })

  it('a GET-callback store hears of a paid intent once: the transfer\'s completion carries intent_id and order_id', async () => {
    const shop = await merchantSite()
    closers.push(shop.close)
    const t = await startCheckout()
    closers.push(t.close)
    await t.update({callback: {kind: 'get', url: `${shop.url}/cb`}})
    await t.receive('01012345678', '33')
    const id = String((await t.createIntent({amount: '33', order_id: 'I-1'})).json.id)
    await t.claim(id, {phone: '01012345678', csrf: await t.csrf(id)})
    const hit = await eventually(() => shop.seen.find((s) => s.url.startsWith('/cb?')))
    const q = new URL(hit.url, shop.url).searchParams
    expect(q.get('intent_id')).toBe(id)
    expect(q.get('order_id')).toBe('I-1')
    expect(q.get('status')).toBe('COMPLETED')
    await new Promise((r) => setTimeout(r, 200))
    expect(shop.seen.filter((s) => s.url.startsWith('/cb?'))).toHaveLength(1)
  })

  it('an operator pays a pending intent by hand with an unclaimed transfer of the same amount', async () => {
    const {t, webhooks} = await setup()
    const tx = (await t.receive('01012345678', '45')).json.transaction as {id: string}
    const other = (await t.receive('01012345678', '46')).json.transaction as {id: string}
    const id = String((await t.createIntent({amount: '45', order_id: 'J-1'})).json.id)
    expect((await t.api('POST', `/api/intents/${id}/match`, {transaction_id: other.id})).json.code).toBe('amount_mismatch')
    const m = await t.api('POST', `/api/intents/${id}/match`, {transaction_id: tx.id})
    expect(m.json).toMatchObject({status: 'paid', transaction_id: tx.id})
    const seen = (await t.api('GET', `/api/transactions/${tx.id}`)).json.transaction as {status: string; audit: {by: string; why: string}[]}
    expect(seen.status).toBe('COMPLETED')
    expect(seen.audit.at(-1)!.why).toContain(id)
    await eventually(() => webhooks('intent.paid').some((w) => w.data.id === id))
    // Neither twice: the intent is paid, the transfer taken.
    const id2 = String((await t.createIntent({amount: '45', order_id: 'J-2'})).json.id)
    expect((await t.api('POST', `/api/intents/${id}/match`, {transaction_id: tx.id})).status).toBe(409)
    expect((await t.api('POST', `/api/intents/${id2}/match`, {transaction_id: tx.id})).json.code).toBe('invalid_state')
  })

  it('the page: strict CSP, no inline script, everything escaped, Arabic right to left; live status as events and as JSON', async () => {
    const {t} = await setup()
    await t.update({name: '<img src=x onerror=alert(1)> "Shop"'})
    const id = String((await t.createIntent({amount: '1234.5', order_id: '<b>A&1</b>'})).json.id)
    const res = await fetch(`${t.url}/pay/${id}`, {headers: {'accept-language': 'fr;q=0.9, ar-EG;q=0.8, en;q=0.5'}})
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('referrer-policy')).toBe('same-origin')
    const html = await res.text()
    expect(html).toContain('<html lang="ar" dir="rtl">')
    expect(html).toContain('1,234.50')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;Shop&quot;')
    expect(html).toContain('&lt;b&gt;A&amp;1&lt;/b&gt;')
    // Every script is a file of ours; no inline script or style anywhere.
    for (const m of html.matchAll(/<script\b[^>]*>/g)) expect(m[0]).toMatch(/src="\/pay\/assets\//)
    expect(html).not.toMatch(/<style|<[a-z][^>]*\s(style|on[a-z]+)=/i)
    expect((await fetch(`${t.url}/pay/pi_nosuchintent000?lang=en`)).status).toBe(404)

    const status = await (await fetch(`${t.url}/pay/${id}/status.json`)).json()
    expect(status).toMatchObject({status: 'pending', screen: 'pay'})
    // The event stream: the state now, then the change, then the end of the stream.
    const stream = await fetch(`${t.url}/pay/${id}/events`)
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    const reader = stream.body!.getReader()
    let text = ''
    const readUntil = async (re: RegExp) => {
      while (!re.test(text)) {
        const {value, done} = await reader.read()
        if (done) return true
        text += new TextDecoder().decode(value)
      }
      return false
    }
    await readUntil(/"screen":"pay"/)
    await t.receive('01012345678', '1234.50')
    await t.claim(id, {phone: '01012345678', csrf: await t.csrf(id)})
    await readUntil(/"status":"paid"/)
    expect(text).toMatch(/event: status\ndata: \{"status":"paid","screen":"paid"/)
    expect(await readUntil(/never/)).toBe(true)
  })
})
