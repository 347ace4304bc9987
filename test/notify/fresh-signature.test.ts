/**
 * Every attempt is signed with the time it is sent (contract §5): the official Standard
 * Webhooks verifier (5-minute tolerance) accepts a delivery made after a 10-minute outage and
 * a replay an hour after the event. Only Date is faked (it runs on, and jumps when told): the server and
 * the verifier share this process's clock, as a merchant's site shares real time with vcash.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {replayCallback} from '../../src/notify/admin.js'
import {verifySignedQuery} from '../../src/notify/sign.js'
import {until} from '../support/until.js'
import {check, postSms, startServer, type TestServer, VF_R1} from '../support/vcash.js'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
  verified: boolean
  error: string | null
}

async function merchant(secret: () => string, up: () => boolean): Promise<{url: string; seen: Seen[]; close: () => Promise<void>}> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      if (!up()) {
        res.writeHead(503).end()
        return
      }
      let verified = false
      let error: string | null = null
      try {
        if (req.method === 'POST') new Webhook(secret()).verify(body, req.headers as Record<string, string>)
        else {
          const q = (req.url ?? '').split('?')[1] ?? ''
          if (!verifySignedQuery(q, secret())) throw new Error('bad signature')
          const ts = Number(new URLSearchParams(q).get('timestamp'))
          if (Math.abs(Date.now() / 1000 - ts) > 300) throw new Error(`timestamp ${ts} is too old`)
        }
        verified = true
      } catch (e) {
        error = (e as Error).message
      }
      seen.push({method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, verified, error})
      res.writeHead(verified ? 200 : 400).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen, close: () => new Promise((r) => server.close(() => r()))}
}

let t: TestServer | null = null
afterEach(async () => {
  vi.useRealTimers()
  await t?.close()
  t = null
})

describe('every attempt is signed with the time it is sent', () => {
  for (const kind of ['webhook', 'get'] as const) {
    it(`${kind}: delivered after a 10-minute outage, and replayed an hour later, both verify`, async () => {
      vi.useFakeTimers({toFake: ['Date'], shouldAdvanceTime: true})
      vi.setSystemTime(new Date())
      let up = false
      let secret = ''
      const m = await merchant(() => secret, () => up)
      t = await startServer({dispatcher: {pollMs: 20, breakerCooldownMs: 100, scheduleMs: [0, ...Array.from({length: 40}, () => 50)]}})
      const store = await t.server.local.service.updateStore(t.storeId, {callback: {kind, url: m.url}})
      secret = store.signingSecret
      await postSms(t, VF_R1('01055550000', '100', '880000001'))
      expect((await check(t, {phone: '01055550000', amount: '100', user_name: '9'})).json.status).toBe(true)
      // The site is down while the first attempts are made, at the time of the payment.
      await until('a first attempt while the site is down', async () => (await t!.server.local.storage.listNotifications({})).some((n) => n.attempts.length > 0), 8000)
      // Ten minutes later it is back.
      vi.setSystemTime(Date.now() + 10 * 60_000)
      // Let an attempt signed before the jump (in flight at that instant) be refused first.
      await new Promise((r) => setTimeout(r, 200))
      up = true
      await until('a delivery that verifies', () => m.seen.some((s) => s.verified), 8000)
      expect(m.seen.filter((s) => !s.verified).map((s) => s.error)).toEqual([])
      // The merchant has it; the dispatcher records the delivery once that commit is on disk.
      await until('the delivery recorded', async () => (await t!.server.local.storage.listNotifications({state: 'delivered'})).length > 0, 8000)
      const delivered = (await t.server.local.storage.listNotifications({state: 'delivered'}))[0]!
      // An hour after the event, the operator replays it: it verifies too, under the same event id.
      vi.setSystemTime(Date.now() + 60 * 60_000)
      // An attempt still in flight when the delivery was recorded (signed before the jump) may
      // land late: wait until the merchant has heard everything, so the next request is the replay.
      for (let n = -1; n !== m.seen.length; ) {
        n = m.seen.length
        await new Promise((r) => setTimeout(r, 300))
      }
      const before = m.seen.length
      const r = await replayCallback(t.server.local.storage, delivered.id, {to: m.url})
      expect(r.delivered).toBe(true)
      const replayed = m.seen[before]!
      expect(replayed.verified).toBe(true)
      // A webhook store hears transaction.received and .completed, in either order: the replay
      // carries the event id of the delivery it replays.
      if (kind === 'webhook') {
        expect(replayed.headers['webhook-id']).toBe(delivered.id)
        expect(m.seen.slice(0, before).some((s) => s.verified && s.headers['webhook-id'] === delivered.id)).toBe(true)
      }
      else expect(new URLSearchParams(replayed.url.split('?')[1]).get('event_id')).toBe(delivered.id)
      await m.close()
    }, 30_000)
  }
})
