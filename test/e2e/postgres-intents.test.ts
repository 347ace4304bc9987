/**
 * Payment intents across two instances on one PostgreSQL: what one instance does to an intent
 * (creates, pays, cancels it) reaches the customer's checkout page and the operator's live
 * dashboard served by the other instance within about a second.
 */
import {afterAll, afterEach, describe, expect, inject, it} from 'vitest'

import {VcashServer} from '../../src/server/serve.js'
import {PAY_TO} from '../support/checkout.js'
import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {until} from '../support/until.js'
import {realTool, startServer, type TestServer, tempDir, VF_R1} from '../support/vcash.js'

const adminUrl = inject('pgUrl')
const available = realTool('PostgreSQL (Debian postgresql, or VCASH_TEST_DATABASE_URL)', adminUrl !== '')

const closing: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c()
})

/** An event stream read into a string as it arrives, with the arrival time of each chunk. */
async function stream(url: string, headers: Record<string, string> = {}): Promise<{text(): string; at(needle: string): number | null}> {
  const stop = new AbortController()
  const res = await fetch(url, {headers, signal: stop.signal})
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
  const chunks: {at: number; text: string}[] = []
  const decoder = new TextDecoder()
  const reading = (async () => {
    for await (const chunk of res.body!) chunks.push({at: Date.now(), text: decoder.decode(chunk as Uint8Array, {stream: true})})
  })().catch(() => {})
  closing.push(async () => {
    stop.abort()
    await reading
  })
  const text = () => chunks.map((c) => c.text).join('')
  return {
    text,
    // When the stream first held `needle` (chunks may split it: look at the text so far).
    at: (needle) => {
      let so = ''
      for (const c of chunks) {
        so += c.text
        if (so.includes(needle)) return c.at
      }
      return null
    },
  }
}

/** Whether `ok` holds within `ms`: the test goes on to print its timings before it fails on this. */
const within = (ok: () => boolean, ms: number): Promise<boolean> => until('', ok, ms).then(() => true, () => false)

describe.skipIf(!available)('payment intents on two instances sharing one PostgreSQL', () => {
  afterAll(() => dropDatabases(adminUrl))

  it('an intent paid or cancelled on A turns B\'s checkout stream within about a second, and B\'s live dashboard hears each intent change', async () => {
    const url = await tempDatabase(adminUrl)
    const a: TestServer = await startServer({databaseUrl: url})
    closing.push(() => a.close())
    // B polls its outbox once a minute: only the shared change feed can tell it anything sooner.
    const b = await VcashServer.start({host: '127.0.0.1', port: 0, dev: true, trustProxy: [], dataDir: tempDir(), databaseUrl: url, dispatcher: {pollMs: 60_000}})
    closing.push(() => b.close())
    await a.server.local.service.updateStore(a.storeId, {payTo: PAY_TO})
    const api = async (path: string, body?: unknown) => {
      const res = await fetch(`${a.url}${path}`, {method: 'POST', headers: {authorization: `Bearer ${a.apiToken}`, 'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)})
      return {status: res.status, json: (await res.json()) as Record<string, unknown>}
    }

    // The operator's dashboard on B: its live stream.
    const link = await b.local.service.sessions.createLink('tester')
    const login = await fetch(`${b.url}/dashboard/login?token=${link.token}`, {redirect: 'manual'})
    expect(login.status).toBe(303)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const dash = await stream(`${b.url}/dashboard/events`, {cookie})
    const intentHeard = () => dash.text().split('"kind":"intent"').length - 1

    // Created on A: B's dashboard hears it (nothing else changed: no transfer, no notification).
    const created = await api('/api/intents', {amount: '150', order_id: 'order-1'})
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    const id = String(created.json.id)
    const heardCreated = await within(() => intentHeard() >= 1, 3000)

    // The customer's page is served by B; the transfer arrives and is claimed on A.
    const page = await stream(`${b.url}/pay/${id}/events`)
    await until('the first status on B', () => page.text().includes('"status":"pending"'), 3000)
    const sms = await fetch(`${a.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${a.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1('01012345678', '150', '019146600901')})})
    expect(sms.status).toBe(201)
    const html = await (await fetch(`${a.url}/pay/${id}?lang=en`)).text()
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!
    const claimed = await fetch(`${a.url}/pay/${id}/claim?lang=en`, {method: 'POST', headers: {accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded'}, body: new URLSearchParams({csrf, phone: '01012345678'}).toString()})
    const paidAt = Date.now()
    expect(await claimed.json()).toMatchObject({status: true, outcome: 'paid'})
    await until('B\'s checkout stream to say paid', () => page.at('"status":"paid"') !== null, 3000)
    const paidMs = page.at('"status":"paid"')! - paidAt

    // Another intent, cancelled by the merchant on A while its page is open on B.
    const second = await api('/api/intents', {amount: '90', order_id: 'order-2'})
    const id2 = String(second.json.id)
    const page2 = await stream(`${b.url}/pay/${id2}/events`)
    await until('the first status of the second intent on B', () => page2.text().includes('"status":"pending"'), 3000)
    const before = intentHeard()
    const cancelled = await api(`/api/intents/${id2}/cancel`)
    const cancelledAt = Date.now()
    expect(cancelled.json).toMatchObject({status: 'cancelled'})
    await until('B\'s checkout stream to say cancelled', () => page2.at('"status":"cancelled"') !== null, 3000)
    const cancelMs = page2.at('"status":"cancelled"')! - cancelledAt
    const heardCancelled = await within(() => intentHeard() > before, 3000)

    console.error(`intents across instances: B's checkout saw paid ${paidMs} ms, cancelled ${cancelMs} ms after A committed`)
    expect({heardCreated, heardCancelled}).toEqual({heardCreated: true, heardCancelled: true})
    // The page reads the intent every second: one poll interval plus the ledger read, with room
    // for a busy machine (the browser's fallback, status.json every 4 s, would fail this).
    expect(paidMs).toBeLessThan(2000)
    expect(cancelMs).toBeLessThan(2000)
  }, 60_000)
})
