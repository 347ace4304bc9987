/** Helpers for the dashboard's tests: a signed-in cookie, a merchant receiver, a held and an unmatched transfer. */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {until} from './until.js'
import {check, postSms, type TestServer} from './vcash.js'

/** A Vodafone Cash receipt; `name` is the payer name as the wallet writes it (attacker-controlled). */
export const VF = (phone: string, amount: string, ref: string, name = 'Ahmed S Example') =>
  `تم استلام مبلغ ${amount} جنيه من رقم ${phone} المسجل بإسم ${name} على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: ${ref}\n`

/** Sign in the way a browser does: a one-time link from the ledger, traded at /dashboard/login for the cookie. */
export async function signIn(t: TestServer): Promise<{cookie: string; setCookie: string}> {
  const link = await t.server.local.service.sessions.createLink('tester')
  const res = await fetch(`${t.url}/dashboard/login?token=${link.token}`, {redirect: 'manual'})
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`)
  const setCookie = res.headers.get('set-cookie') ?? ''
  return {cookie: setCookie.split(';')[0]!, setCookie}
}

/** The form token the page rendered for this session. */
export async function csrfOf(t: TestServer, cookie: string): Promise<string> {
  const text = await (await fetch(`${t.url}/dashboard/stores`, {headers: {cookie}})).text()
  return /name="_csrf" value="([^"]+)"/.exec(text)![1]!
}

export function post(t: TestServer, path: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${path}`, {method: 'POST', redirect: 'manual', headers: {cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers}, body: new URLSearchParams(form).toString()})
}

export interface Receiver {
  url: string
  events: {type: string; data: Record<string, unknown>}[]
  close(): Promise<void>
}

/** The merchant's webhook endpoint: records what it was told. */
export async function startReceiver(): Promise<Receiver> {
  const events: Receiver['events'] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      try {
        events.push(JSON.parse(body) as Receiver['events'][number])
      } catch {
        // not JSON: not ours
      }
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events, close: () => new Promise((r) => server.close(() => r()))}
}

/** Anti-spam holds every first payment; notifications go to the receiver as Standard Webhooks. */
export async function holdFirstPayments(t: TestServer, receiverUrl: string): Promise<void> {
  await t.server.local.service.updateStore(t.storeId, {callback: {kind: 'webhook', url: receiverUrl}, antiSpam: {enabled: true, firstPayment: true, duplicatePending: false}})
}

/** A transfer arrives and its payer claims it: held for approval (with holdFirstPayments). */
export async function heldTransfer(t: TestServer, phone: string, amount: string, ref: string, name?: string): Promise<string> {
  const sms = await postSms(t, VF(phone, amount, ref, name))
  const id = (sms.json.transaction as {id: string}).id
  const answer = await check(t, {phone, amount, user_name: 'Mona', client_id: '42'})
  if (answer.json.code !== 'awaiting_approval') throw new Error(`expected a hold, got ${JSON.stringify(answer.json)}`)
  return id
}

/** A transfer nobody has claimed. */
export async function unmatchedTransfer(t: TestServer, phone: string, amount: string, ref: string, name?: string): Promise<string> {
  const sms = await postSms(t, VF(phone, amount, ref, name))
  return (sms.json.transaction as {id: string}).id
}

/** Waits (5 s at most) for the receiver to be told `type` about `id`; answers that event. */
export function heard(receiver: Receiver, type: string, id: string): Promise<Receiver['events'][number]> {
  const told = () => receiver.events.map((e) => `${e.type} ${String(e.data.id)}`).join(', ') || 'nothing'
  return until(() => `${type} of ${id} (told so far: ${told()})`, () => receiver.events.find((e) => e.type === type && e.data.id === id))
}
