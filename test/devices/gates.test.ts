/**
 * Gates against fakes and replays (docs/gates.md), end to end over HTTP on a real server: what
 * is stored, what a customer's claim answers, and what the audit trail says.
 */
import {afterEach, describe, expect, it} from 'vitest'

import type {StoreSettingsInput} from '../../src/core/store-settings.js'
import type {TransactionView} from '../../src/core/views.js'
import {signSmsGateway} from '../../src/server/forwarders.js'
import {Catcher} from '../../src/simulate/catcher.js'
import {cairoStamp, check, startServer, type TestServer} from '../support/vcash.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

async function server(settings: Partial<StoreSettingsInput> = {}): Promise<TestServer> {
  const t = await startServer({expireEveryMs: 3_600_000})
  closers.push(() => t.close())
  if (Object.keys(settings).length > 0) await t.server.local.service.updateStore(t.storeId, settings)
  return t
}

const HOUR = 3_600_000

/** A Vodafone Cash VF-R1 receipt as the wallet sends it, with the merchant's wallet and (optionally) the balance line. */
function vf(o: {phone: string; amount: string; ref: string; at?: Date; wallet?: string; balance?: string}): string {
  return `تم استلام مبلغ ${o.amount} جنيه من رقم ${o.phone} المسجل بإسم Ahmed S Example على رقم محفظتك  ${o.wallet ?? '01000000002'}.\n` +
    (o.balance ? `رصيدك الحالي: ${o.balance} جنيه\n` : '') +
    `تاريخ العملية: ${cairoStamp(o.at ?? new Date())}\nرقم العملية: ${o.ref}\n`
}

interface IngestAnswer {
  outcome: string
  reason: string | null
  transaction: TransactionView
}

async function post(t: TestServer, body: Record<string, unknown>): Promise<{status: number; json: IngestAnswer}> {
  const res = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify(body)})
  return {status: res.status, json: (await res.json()) as IngestAnswer}
}

async function tx(t: TestServer, id: string): Promise<TransactionView> {
  const res = await fetch(`${t.url}/api/transactions/${id}`, {headers: {authorization: `Bearer ${t.apiToken}`}})
  return ((await res.json()) as {transaction: TransactionView}).transaction
}

const whys = (view: TransactionView): string[] => view.audit.map((a) => a.why)

describe('age gate', () => {
  it('a backfilled week-old receipt is stored but not claimable; a fresh one is', async () => {
    const t = await server()
    const weekAgo = new Date(Date.now() - 7 * 24 * HOUR)
    // Re-sent today (no receive time from the device): the wallet's own date gives its age away.
    const old = await post(t, {sender: 'VF-Cash', body: vf({phone: '01011111111', amount: '250', ref: '000000000301', at: weekAgo})})
    expect(old.status).toBe(201)
    expect(old.json.transaction.holds).toEqual([expect.objectContaining({gate: 'too_old'})])
    const claim = await check(t, {phone: '01011111111', amount: '250', user_name: 'Mona (7)', client_id: '7', lang: 'en'})
    expect(claim.json).toMatchObject({status: false, code: 'awaiting_approval', requires_verification: true})
    const held = await tx(t, old.json.transaction.id)
    expect(held).toMatchObject({status: 'AWAITING_APPROVAL', held_by: ['too_old']})
    expect(whys(held).join('\n')).toMatch(/age gate: the wallet dates it .*7 d before it reached vcash \(the store's limit is 48 h\)/)
    expect(whys(held).at(-1)).toBe('claimed by Mona (7); held by the gates: too_old')

    // Backfilled with its real receive time (sms sync --since 7d): outside the match window too.
    const backfill = await post(t, {sender: 'VF-Cash', body: vf({phone: '01022222222', amount: '250', ref: '000000000302', at: weekAgo}), received_at: weekAgo.toISOString()})
    expect(backfill.status).toBe(201)
    expect((await check(t, {phone: '01022222222', amount: '250', user_name: 'x', lang: 'en'})).json).toMatchObject({status: false})

    const fresh = await post(t, {sender: 'VF-Cash', body: vf({phone: '01033333333', amount: '250', ref: '000000000303'})})
    expect(fresh.json.transaction.holds).toEqual([])
    expect((await check(t, {phone: '01033333333', amount: '250', user_name: 'y', lang: 'en'})).json).toMatchObject({status: true})
  })

  it('the limit is the store\'s: off lets an old receipt be claimed', async () => {
    const t = await server({gates: {receiptAgeLimitMinutes: null}})
    const old = await post(t, {sender: 'VF-Cash', body: vf({phone: '01011111111', amount: '250', ref: '000000000311', at: new Date(Date.now() - 7 * 24 * HOUR)})})
    expect(old.json.transaction.holds).toEqual([])
    expect((await check(t, {phone: '01011111111', amount: '250', user_name: 'z', lang: 'en'})).json).toMatchObject({status: true})
  })
})

describe('receiving wallets', () => {
  it('a receipt to a wallet that is not one of pay_to is held for the operator; one to pay_to is not', async () => {
    const t = await server({payTo: [{provider: 'vodafone_cash', wallet: '01000000009'}]})
    const foreign = await post(t, {sender: 'VF-Cash', body: vf({phone: '01044444444', amount: '300', ref: '000000000401', wallet: '01000000002'})})
    expect(foreign.json.transaction).toMatchObject({receiving_account: '01000000002', holds: [expect.objectContaining({gate: 'foreign_wallet'})]})
    expect((await check(t, {phone: '01044444444', amount: '300', user_name: 'a', lang: 'en'})).json).toMatchObject({status: false, code: 'awaiting_approval'})
    const held = await tx(t, foreign.json.transaction.id)
    expect(held.held_by).toEqual(['foreign_wallet'])
    expect(whys(held).join('\n')).toContain("receiving wallets: the SMS says it was credited to 01000000002, which is not one of the store's pay_to (01000000009)")

    const own = await post(t, {sender: 'VF-Cash', body: vf({phone: '01055555555', amount: '300', ref: '000000000402', wallet: '01000000009'})})
    expect(own.json.transaction.holds).toEqual([])
    expect((await check(t, {phone: '01055555555', amount: '300', user_name: 'b', lang: 'en'})).json).toMatchObject({status: true})
    // Approving the held one completes it for the customer who claimed it.
    const approved = await fetch(`${t.url}/api/transactions/${foreign.json.transaction.id}/approve`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`, 'content-type': 'application/json'}, body: '{}'})
    expect(((await approved.json()) as {transaction: {status: string}}).transaction.status).toBe('COMPLETED')
  })
})

describe('duplicates', () => {
  const KEY = 'sg_signing_key_from_the_app'
  // e& money EA-R2: no reference, no date and no balance in the text.
  const EA_R2 = 'تم إيداع مبلغ 150.00  في حسابك بنجاح من رقم حساب 00201000000022 المسجل باسم SAMEH ABDU LLATIF MOHAMED SAMPLEE \n استخدم e& money هتكسب'

  async function forward(t: TestServer, o: {id: string; receivedAt: string}): Promise<{status: number; json: IngestAnswer}> {
    const body = JSON.stringify({deviceId: 'ffffffffceb0b1db0000018e937c815b', event: 'sms:received', id: o.id, payload: {messageId: `m-${o.id}`, message: EA_R2, phoneNumber: 'e& money', simNumber: 1, receivedAt: o.receivedAt}, webhookId: 'wh1'})
    const res = await fetch(`${t.url}/api/sms/smsgateway?token=${t.deviceToken}`, {method: 'POST', headers: {'content-type': 'application/json', ...signSmsGateway(body, KEY, Math.floor(Date.now() / 1000))}, body})
    return {status: res.status, json: (await res.json()) as IngestAnswer}
  }

  it('a forwarder re-sending the same SMS under a new id is a duplicate; an equal payment a minute later is not', async () => {
    const t = await server({forwarderSigningKey: KEY})
    const at = new Date(Date.now() - 5 * 60_000)
    const first = await forward(t, {id: 'evt-1', receivedAt: at.toISOString()})
    expect(first.status).toBe(201)
    const resent = await forward(t, {id: 'evt-2-new-id', receivedAt: at.toISOString()})
    expect(resent.status).toBe(200)
    expect(resent.json).toMatchObject({outcome: 'duplicate', transaction: {id: first.json.transaction.id}})
    // The app's clock in whole seconds (another forwarder, the same SMS): still the same SMS.
    expect((await forward(t, {id: 'evt-3', receivedAt: new Date(Math.floor(at.getTime() / 1000) * 1000 + 999).toISOString()})).status).toBe(200)

    const second = await forward(t, {id: 'evt-4', receivedAt: new Date(at.getTime() + 60_000).toISOString()})
    expect(second.status).toBe(201)
    expect(second.json.transaction.id).not.toBe(first.json.transaction.id)
    // Both are real money: both can be claimed.
    const claim = {phone: '01000000022', amount: '150', lang: 'en'}
    expect((await check(t, {...claim, user_name: 'first'})).json).toMatchObject({status: true, transaction_id: first.json.transaction.id})
    expect((await check(t, {...claim, user_name: 'second'})).json).toMatchObject({status: true, transaction_id: second.json.transaction.id})
  })

  it('the operator\'s reference decides: the same reference with another text is not stored again, and the trail says so', async () => {
    const t = await server()
    const a = await post(t, {sender: 'VF-Cash', body: vf({phone: '01066666666', amount: '100', ref: '000000000501'})})
    expect(a.status).toBe(201)
    const forged = await post(t, {sender: 'VF-Cash', body: vf({phone: '01066666666', amount: '9000', ref: '000000000501'})})
    expect(forged.status).toBe(200)
    expect(forged.json.transaction).toMatchObject({id: a.json.transaction.id, amount: '100.00'})
    expect(whys(await tx(t, a.json.transaction.id)).at(-1)).toMatch(/duplicates: another SMS with the same reference 000000000501 but a different text arrived .*amount 9000\.00/)
  })
})

describe('balance chain', () => {
  it('a fake receipt with an impossible balance is held as suspicious; consistent ones are verified', async () => {
    const catcher = new Catcher()
    await catcher.start()
    closers.push(() => catcher.stop())
    const t = await server({callback: {kind: 'webhook', url: `${catcher.url}/webhook`}})
    const send = async (o: {phone: string; amount: string; ref: string; balance: string}) => (await post(t, {sender: 'VF-Cash', body: vf(o)})).json.transaction

    const first = await send({phone: '01077777771', amount: '100', ref: '000000000601', balance: '1000.00'})
    expect(first.verdict).toBe('unknown')
    const ok = await send({phone: '01077777772', amount: '50', ref: '000000000602', balance: '1050.00'})
    expect(ok).toMatchObject({verdict: 'verified', holds: []})
    expect(whys(ok).join('\n')).toContain('balance chain: verified (1000.00 known at')
    const fake = await send({phone: '01077777773', amount: '500', ref: '000000000603', balance: '9999.00'})
    expect(fake).toMatchObject({verdict: 'suspicious', holds: [expect.objectContaining({gate: 'balance_mismatch'})]})
    expect(whys(fake).join('\n')).toContain('balance chain: suspicious — the SMS shows a balance of 9999.00, but 1050.00 known at')
    // The fake did not move the chain: the next real receipt still verifies.
    const next = await send({phone: '01077777774', amount: '20', ref: '000000000604', balance: '1070.00'})
    expect(next.verdict).toBe('verified')

    expect((await check(t, {phone: '01077777772', amount: '50', user_name: 'real', lang: 'en'})).json).toMatchObject({status: true})
    expect((await check(t, {phone: '01077777773', amount: '500', user_name: 'fraud', lang: 'en'})).json).toMatchObject({status: false, code: 'awaiting_approval'})
    expect(await tx(t, fake.id)).toMatchObject({status: 'AWAITING_APPROVAL', held_by: ['balance_mismatch'], verdict: 'suspicious'})

    // The verdict travels with the notification.
    await t.server.dispatcher.idle()
    const deadline = Date.now() + 5000
    const received = () => catcher.seen.map((s) => JSON.parse(s.body) as {type: string; data: {id: string; verdict: string}})
    while (!received().some((e) => e.type === 'transaction.awaiting_approval') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const verdicts = Object.fromEntries(received().filter((e) => e.type === 'transaction.received').map((e) => [e.data.id, e.data.verdict]))
    expect(verdicts).toEqual({[first.id]: 'unknown', [ok.id]: 'verified', [fake.id]: 'suspicious', [next.id]: 'verified'})
    expect(received().find((e) => e.type === 'transaction.awaiting_approval')?.data).toMatchObject({id: fake.id, verdict: 'suspicious'})
  })

  it('a send from the wallet moves the chain too: the receipt after it verifies against the balance the send shows', async () => {
    const t = await server()
    await post(t, {sender: 'VF-Cash', body: vf({phone: '01078787871', amount: '100', ref: '000000000611', balance: '1000.00'})})
    const send = await post(t, {sender: 'VF-Cash', body: `تم تحويل 500 جنيه لرقم 01000000024 مصاريف الخدمة 0 جنيه رصيد حسابك فى فودافون كاش الحالي 500.00.\nتاريخ العملية: ${cairoStamp(new Date())}\nرقم العملية: 019153793884\n`})
    expect(send).toMatchObject({status: 202, json: {outcome: 'ignored', transaction: null}})
    const after = (await post(t, {sender: 'VF-Cash', body: vf({phone: '01078787872', amount: '75', ref: '000000000612', balance: '575.00'})})).json.transaction
    expect(after).toMatchObject({verdict: 'verified', holds: []})
    expect(whys(after).join('\n')).toContain('balance chain: verified (500.00 known at')
  })

  it('a missed SMS looks like a fake until the operator approves the receipt; then the chain follows the wallet again', async () => {
    const t = await server()
    await post(t, {sender: 'VF-Cash', body: vf({phone: '01079797971', amount: '100', ref: '000000000621', balance: '1000.00'})})
    // A 500 send the phone never forwarded happened in between.
    const odd = (await post(t, {sender: 'VF-Cash', body: vf({phone: '01079797972', amount: '100', ref: '000000000622', balance: '600.00'})})).json.transaction
    expect(odd.verdict).toBe('suspicious')
    expect((await check(t, {phone: '01079797972', amount: '100', user_name: 'real payer', lang: 'en'})).json).toMatchObject({code: 'awaiting_approval'})
    const approve = await fetch(`${t.url}/api/transactions/${odd.id}/approve`, {method: 'POST', headers: {authorization: `Bearer ${t.apiToken}`, 'content-type': 'application/json'}, body: '{}'})
    expect(approve.status).toBe(200)
    const after = (await post(t, {sender: 'VF-Cash', body: vf({phone: '01079797973', amount: '50', ref: '000000000623', balance: '650.00'})})).json.transaction
    expect(after.verdict).toBe('verified')
  })

  it('an old SMS re-sent today does not move the chain', async () => {
    const t = await server()
    await post(t, {sender: 'VF-Cash', body: vf({phone: '01076767671', amount: '100', ref: '000000000631', balance: '1000.00'})})
    const old = (await post(t, {sender: 'VF-Cash', body: vf({phone: '01076767672', amount: '100', ref: '000000000632', balance: '200.00', at: new Date(Date.now() - 5 * 24 * HOUR)})})).json.transaction
    expect(old.holds.map((h) => h.gate)).toEqual(['too_old', 'balance_mismatch'])
    const next = (await post(t, {sender: 'VF-Cash', body: vf({phone: '01076767673', amount: '100', ref: '000000000633', balance: '1100.00'})})).json.transaction
    expect(next.verdict).toBe('verified')
  })

  it('mark only: the verdict is kept but nothing is held', async () => {
    const t = await server({gates: {balanceChain: 'mark'}})
    await post(t, {sender: 'VF-Cash', body: vf({phone: '01088888881', amount: '100', ref: '000000000701', balance: '1000.00'})})
    const fake = (await post(t, {sender: 'VF-Cash', body: vf({phone: '01088888882', amount: '100', ref: '000000000702', balance: '5000.00'})})).json.transaction
    expect(fake).toMatchObject({verdict: 'suspicious', holds: []})
    expect((await check(t, {phone: '01088888882', amount: '100', user_name: 'x', lang: 'en'})).json).toMatchObject({status: true})
  })
})

describe('a channel without a sender id', () => {
  it('is refused unless the store allows it; then held unless the balance chain verifies it', async () => {
    const t = await server()
    const refused = await post(t, {body: vf({phone: '01099999991', amount: '100', ref: '000000000801', balance: '2000.00'})})
    expect(refused.status).toBe(202)
    expect(refused.json).toMatchObject({outcome: 'ignored', reason: 'no_sender_id', transaction: null})

    await t.server.local.service.updateStore(t.storeId, {gates: {allowNoSenderId: true}})
    const unverified = await post(t, {sender: null, body: vf({phone: '01099999992', amount: '100', ref: '000000000802', balance: '2000.00'})})
    expect(unverified.status).toBe(201)
    expect(unverified.json.transaction).toMatchObject({verdict: 'unknown', holds: [expect.objectContaining({gate: 'no_sender_id'})]})
    expect((await check(t, {phone: '01099999992', amount: '100', user_name: 'x', lang: 'en'})).json).toMatchObject({status: false, code: 'awaiting_approval'})

    // A receipt from the operator's sender id starts the chain; a text-only one that follows it is verified.
    await post(t, {sender: 'VF-Cash', body: vf({phone: '01099999993', amount: '100', ref: '000000000803', balance: '3000.00'})})
    const verified = await post(t, {body: vf({phone: '01099999994', amount: '250', ref: '000000000804', balance: '3250.00'})})
    expect(verified.json.transaction).toMatchObject({verdict: 'verified', holds: []})
    expect((await check(t, {phone: '01099999994', amount: '250', user_name: 'y', lang: 'en'})).json).toMatchObject({status: true})
  })
})
