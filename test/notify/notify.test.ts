import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it} from 'vitest'

import type {CallbackConfig} from '../../src/core/model.js'
import {replayCallback, retryFailed} from '../../src/notify/admin.js'
import {Dispatcher} from '../../src/notify/dispatcher.js'
import {buildNotification} from '../../src/notify/events.js'
import {verifySignedQuery} from '../../src/notify/sign.js'
import {resolveTarget} from '../../src/notify/url-guard.js'
import {VcashService} from '../../src/app/service.js'
import {SqliteStorage} from '../../src/storage/sqlite-storage.js'
import {until} from '../support/until.js'
import {tempDir, VF_R1} from '../support/vcash.js'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

/** A merchant site on loopback that answers with whatever `reply` says. */
async function merchant(reply: (s: Seen, n: number) => {status: number; body?: string}) {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const s = {method: req.method!, url: req.url!, headers: req.headers, body}
      seen.push(s)
      const r = reply(s, seen.length)
      res.writeHead(r.status, {'content-type': 'application/json'}).end(r.body ?? '{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  closers.push(() => new Promise((r) => server.close(() => r())))
  return {url, seen}
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

async function setup(callback: CallbackConfig, opts: {mode?: 'development' | 'production'; rate?: string; currencyLabel?: string} = {}) {
  const storage = new SqliteStorage({dataDir: tempDir()})
  await storage.open()
  closers.push(() => storage.close())
  const service = new VcashService({storage, buildNotification})
  const {store} = await service.createStore({name: 'Shop', callback, mode: opts.mode ?? 'development', rate: opts.rate, currencyLabel: opts.currencyLabel})
  const dispatcher = new Dispatcher({storage, scheduleMs: [0, 20, 20, 20, 20, 20, 20, 20], pollMs: 10, breakerThreshold: 100})
  closers.push(() => dispatcher.stop())
  const pay = async (amount: string, user = '42', clientId: string | null = null) => {
    await service.ingestSms(store, {sender: 'VF-Cash', body: VF_R1('01012345678', amount, `0191466${String(Math.random()).slice(2, 7)}`), source: 'test'})
    const r = await service.check({storeId: store.id, phone: '01012345678', amount, userName: user, clientId, lang: 'en', ip: '127.0.0.1'})
    // WHMCS stores say `true` only once WHMCS confirmed the credit; this service has no dispatcher yet.
    expect(r.outcome).toBe(callback.kind === 'whmcs' ? 'credit_pending' : 'completed')
    return String(r.body.transaction_id)
  }
  return {storage, service, store, dispatcher, pay}
}

describe('GET callback', () => {
  it('sends the fields and an HMAC over the exact query string', async () => {
    const m = await merchant(() => ({status: 200, body: 'ok'}))
    const s = await setup({kind: 'get', url: `${m.url}/paid?shop=1`}, {rate: '50.5', currencyLabel: 'USD'})
    const id = await s.pay('101')
    s.dispatcher.start()
    await until('one GET callback, recorded as delivered', async () => m.seen.length === 1 && (await s.storage.listNotifications({}))[0]!.state === 'delivered')
    const req = m.seen[0]!
    expect(req.method).toBe('GET')
    const u = new URL(req.url, 'http://x')
    expect(u.pathname).toBe('/paid')
    expect(Object.fromEntries(u.searchParams)).toMatchObject({shop: '1', trans_id: id, amount: '101.00', converted_amount: '2.00', currency_label: 'USD', phone: '01012345678', user_name: '42', store_id: s.store.id, status: 'COMPLETED', provider: 'vodafone_cash'})
    expect(verifySignedQuery(req.url.split('?')[1]!, s.store.signingSecret)).toBe(true)
    expect(verifySignedQuery(req.url.split('?')[1]!.replace('amount=101.00', 'amount=999.00'), s.store.signingSecret)).toBe(false)
  })
})

describe('webhook', () => {
  it('posts JSON events that the official standardwebhooks package verifies', async () => {
    const m = await merchant(() => ({status: 204}))
    const s = await setup({kind: 'webhook', url: `${m.url}/hook`})
    const id = await s.pay('77')
    s.dispatcher.start()
    await until('two webhooks', async () => m.seen.length === 2)
    const wh = new Webhook(s.store.signingSecret)
    const events = m.seen.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as {type: string; data: {id: string; amount: string}})
    expect(events.map((e) => e.type).sort()).toEqual(['transaction.completed', 'transaction.received'])
    expect(events.every((e) => e.data.id === id && e.data.amount === '77.00')).toBe(true)
    expect(() => wh.verify(m.seen[0]!.body.replace('77.00', '78.00'), m.seen[0]!.headers as Record<string, string>)).toThrow()
  })

  it('a merchant that fails 5 times then recovers gets exactly one successful delivery per event', async () => {
    const m = await merchant((_s, n) => ({status: n <= 5 ? 503 : 200}))
    const s = await setup({kind: 'webhook', url: `${m.url}/hook`})
    await s.pay('12')
    s.dispatcher.start()
    await until('every notification delivered', async () => (await s.storage.listNotifications({})).every((n) => n.state === 'delivered'))
    const ok = m.seen.filter((_r, i) => i >= 5)
    const ids = ok.map((r) => r.headers['webhook-id'])
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toHaveLength(2)
    // Every attempt is on record, with status and duration.
    const attempts = (await s.storage.listNotifications({})).flatMap((n) => n.attempts)
    expect(attempts).toHaveLength(7)
    expect(attempts.filter((a) => a.status === 503)).toHaveLength(5)
    expect(attempts.every((a) => typeof a.durationMs === 'number')).toBe(true)
  })

  it('replay to another URL arrives with the same id and signature, and verifies', async () => {
    const m = await merchant(() => ({status: 200}))
    const dev = await merchant(() => ({status: 200}))
    const s = await setup({kind: 'webhook', url: `${m.url}/hook`})
    await s.pay('30')
    s.dispatcher.start()
    await until('every notification delivered', async () => (await s.storage.listNotifications({})).every((n) => n.state === 'delivered'))
    const completed = (await s.storage.listNotifications({})).find((n) => n.event === 'transaction.completed')!
    const r = await replayCallback(s.storage, completed.id, {to: `${dev.url}/local`})
    expect(r.delivered).toBe(true)
    const original = m.seen.find((x) => x.headers['webhook-id'] === completed.id)!
    const replayed = dev.seen[0]!
    expect(replayed.body).toBe(original.body)
    expect(replayed.headers['webhook-signature']).toBe(original.headers['webhook-signature'])
    expect(new Webhook(s.store.signingSecret).verify(replayed.body, replayed.headers as Record<string, string>)).toBeTruthy()
  })
})

describe('WHMCS AddCredit', () => {
  it('sends the exact form, credits once, and a replay never credits twice unless forced', async () => {
    const m = await merchant(() => ({status: 200, body: '{"result":"success","newbalance":"12.00"}'}))
    const s = await setup({kind: 'whmcs', url: m.url, identifier: 'ID1', secret: 'SECRET1'}, {rate: '48.5', currencyLabel: 'USD'})
    const id = await s.pay('100', 'Mona (42)', '42')
    s.dispatcher.start()
    await until('the AddCredit delivered', async () => (await s.storage.listNotifications({}))[0]?.state === 'delivered')
    expect(m.seen).toHaveLength(1)
    const req = m.seen[0]!
    expect(req.method).toBe('POST')
    expect(req.url).toBe('/includes/api.php')
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({action: 'AddCredit', identifier: 'ID1', secret: 'SECRET1', clientid: '42', description: `VodafoneCash payment - trans_id: ${id}`, amount: '2.06', responsetype: 'json'})
    const n = (await s.storage.listNotifications({}))[0]!
    await expect(replayCallback(s.storage, n.id)).rejects.toMatchObject({code: 'already_credited'})
    expect(m.seen).toHaveLength(1)
    expect((await replayCallback(s.storage, n.id, {force: true})).delivered).toBe(true)
    expect(m.seen).toHaveLength(2)
    // Secrets never land in the attempt records.
    expect(JSON.stringify((await s.storage.listNotifications({})))).not.toContain('SECRET1')
  })

  it('turns "Invalid IP" and "Authentication Failed" into plain words for the operator', async () => {
    const m = await merchant((_s, n) => ({status: 200, body: n === 1 ? '{"result":"error","message":"Invalid IP 203.0.113.9"}' : '{"result":"error","message":"Authentication Failed"}'}))
    const s = await setup({kind: 'whmcs', url: m.url, identifier: 'ID1', secret: 'SECRET1'})
    await s.pay('10', '7')
    await s.pay('11', '8')
    s.dispatcher.start()
    await until('an attempt at every notification', async () => (await s.storage.listNotifications({})).every((n) => n.attempts.length >= 1))
    const errors = (await s.storage.listNotifications({})).map((n) => n.attempts[0]!.error).join('\n')
    expect(errors).toMatch(/add 203\.0\.113\.9 to both "Whitelisted IPs" and "API IP Access Restriction"/)
    expect(errors).toMatch(/identifier or secret is wrong.*Add\/Remove Credit role/)
    expect((await s.storage.listNotifications({})).every((n) => n.state === 'pending' || n.state === 'failed')).toBe(true)
  })
})

describe('delivery safety', () => {
  it('production mode refuses http://127.0.0.1 and a hostname that resolves to a private address', async () => {
    await expect(resolveTarget('http://127.0.0.1:9/x', {production: true})).rejects.toMatchObject({code: 'unsafe_url'})
    await expect(resolveTarget('https://127.0.0.1:9/x', {production: true})).rejects.toThrow(/loopback/)
    const lookup = async () => [{address: '10.1.2.3', family: 4}]
    await expect(resolveTarget('https://shop.example.com/hook', {production: true, lookup})).rejects.toThrow(/10\.1\.2\.3 \(private\)/)
    await expect(resolveTarget('https://[::ffff:192.168.1.1]/x', {production: true})).rejects.toThrow(/private/)
    const pub = await resolveTarget('https://shop.example.com/hook', {production: true, lookup: async () => [{address: '93.184.216.34', family: 4}]})
    expect(pub.address).toBe('93.184.216.34')
    expect((await resolveTarget('http://localhost:8080/x', {production: false, lookup: async () => [{address: '127.0.0.1', family: 4}]})).address).toBe('127.0.0.1')
  })

  it('a production store never sends to a loopback URL, records why, and retry --failed requeues', async () => {
    const m = await merchant(() => ({status: 200}))
    const storage = new SqliteStorage({dataDir: tempDir()})
    await storage.open()
    closers.push(() => storage.close())
    const service = new VcashService({storage, buildNotification})
    // Created in development, then switched to production behind the setup check's back.
    const {store} = await service.createStore({name: 'Shop', callback: {kind: 'webhook', url: `${m.url}/hook`}, mode: 'development'})
    await storage.commit({stores: [{...store, mode: 'production'}]})
    const prod = (await storage.getStore(store.id))!
    await service.ingestSms(prod, {sender: 'VF-Cash', body: VF_R1('01012345678', '5', '019146600001'), source: 'test'})
    const d = new Dispatcher({storage, scheduleMs: [0, 10], pollMs: 10})
    closers.push(() => d.stop())
    d.start()
    await until('the notification failed', async () => (await storage.listNotifications({}))[0]?.state === 'failed')
    expect(m.seen).toHaveLength(0)
    expect((await storage.listNotifications({}))[0]!.lastError).toMatch(/only to https/)
    expect(await retryFailed(storage)).toHaveLength(1)
    expect((await storage.listNotifications({}))[0]!.state).toBe('pending')
  })
})
