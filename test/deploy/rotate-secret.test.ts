/**
 * `vcash store rotate-secret`: during the overlap a merchant holding either the old or the new
 * secret verifies every delivery (the official `standardwebhooks` verifier for webhooks; the
 * documented check for GET callbacks), and after it only the new secret does.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it} from 'vitest'

import {verifySignedQuery} from '../../src/notify/sign.js'
import {until} from '../support/until.js'
import {check, postSms, runCli, startServer, type TestServer, VF_R1} from '../support/vcash.js'

interface Seen {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

async function merchant(): Promise<{url: string; seen: Seen[]; close: () => Promise<void>}> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      seen.push({method: req.method!, url: req.url!, headers: req.headers as Record<string, string>, body})
      res.writeHead(200, {'content-type': 'application/json'}).end('{"ok":true}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => {
      server.closeAllConnections()
      server.close(() => r())
    }),
  }
}

function verifiesWebhook(secret: string, s: Seen): boolean {
  try {
    new Webhook(secret).verify(s.body, {'webhook-id': s.headers['webhook-id']!, 'webhook-timestamp': s.headers['webhook-timestamp']!, 'webhook-signature': s.headers['webhook-signature']!})
    return true
  } catch {
    return false
  }
}

/** docs/callbacks.md's PHP check, line for line: `signature`, else `signature_previous`. */
function verifiesGet(secret: string, s: Seen): boolean {
  const q = s.url.slice(s.url.indexOf('?') + 1)
  const hmac = (data: string) => crypto.createHmac('sha256', secret).update(data).digest('hex')
  const eq = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b))
  const i = q.lastIndexOf('&signature=')
  if (i < 0) return false
  const signed = q.slice(0, i)
  if (eq(hmac(signed), q.slice(i + 11))) return true
  const j = signed.lastIndexOf('&signature_previous=')
  return j >= 0 && eq(hmac(signed.slice(0, j)), signed.slice(j + 20))
}

let t: TestServer | null = null
afterEach(async () => {
  await t?.close()
  t = null
})

describe('vcash store rotate-secret', () => {
  it('both secrets verify webhooks and GET callbacks during the overlap, only the new one after', async () => {
    const m = await merchant()
    t = await startServer({dispatcher: {pollMs: 20, scheduleMs: [0, 100, 200]}})
    const service = t.server.local.service
    await service.updateStore(t.storeId, {callback: {kind: 'webhook', url: `${m.url}/hook`}})
    const oldSecret = (await t.server.local.storage.getStore(t.storeId))!.signingSecret

    const overlapS = 6
    const rotated = await runCli(['store', 'rotate-secret', t.storeId, '--data-dir', t.dataDir, '--overlap', `${overlapS}s`, '--json'])
    expect(rotated.code, rotated.stderr).toBe(0)
    const rotatedAt = Date.now()
    const out = JSON.parse(rotated.stdout) as {store_id: string; signing_secret: string; previous_signs_until: string}
    const newSecret = out.signing_secret
    expect(newSecret).toMatch(/^whsec_/)
    expect(newSecret).not.toBe(oldSecret)
    expect(Date.parse(out.previous_signs_until) - rotatedAt).toBeLessThanOrEqual(overlapS * 1000)
    // The secret is printed once, on stdout; the store's public view never carries either.
    const shown = await runCli(['store', 'show', t.storeId, '--data-dir', t.dataDir, '--json'])
    expect(shown.stdout).not.toContain(newSecret.slice(6))
    expect(shown.stdout).not.toContain(oldSecret.slice(6))

    // During the overlap: a webhook (the transfer arrives) and a GET callback (it is claimed).
    await postSms(t, VF_R1('01055550001', '100', '880000101'))
    await until('the webhook', () => m.seen.some((s) => s.url === '/hook'), 10_000)
    await service.updateStore(t.storeId, {callback: {kind: 'get', url: `${m.url}/get`}})
    expect((await check(t, {phone: '01055550001', amount: '100', user_name: '9'})).json.status).toBe(true)
    await until('the GET callback', () => m.seen.some((s) => s.url.startsWith('/get?')), 10_000)
    expect(Date.now() - rotatedAt, 'the overlap deliveries took too long for this test').toBeLessThan(overlapS * 1000)
    const hook = m.seen.find((s) => s.url === '/hook')!
    const get = m.seen.find((s) => s.url.startsWith('/get?'))!
    expect(hook.headers['webhook-signature']!.split(' ')).toHaveLength(2)
    expect(verifiesWebhook(newSecret, hook)).toBe(true)
    expect(verifiesWebhook(oldSecret, hook)).toBe(true)
    expect(verifiesGet(newSecret, get)).toBe(true)
    expect(verifiesGet(oldSecret, get)).toBe(true)
    // A site that kept the one-secret check from before verifies with the new secret.
    expect(verifySignedQuery(get.url.slice(get.url.indexOf('?') + 1), newSecret)).toBe(true)
    const stranger = `whsec_${crypto.randomBytes(24).toString('base64')}`
    expect(verifiesWebhook(stranger, hook)).toBe(false)
    expect(verifiesGet(stranger, get)).toBe(false)

    // After the overlap: only the new secret.
    await new Promise((r) => setTimeout(r, Math.max(0, rotatedAt + overlapS * 1000 + 200 - Date.now())))
    m.seen.length = 0
    await service.updateStore(t.storeId, {callback: {kind: 'webhook', url: `${m.url}/hook`}})
    await postSms(t, VF_R1('01055550002', '200', '880000102'))
    await until('the webhook', () => m.seen.some((s) => s.url === '/hook'), 10_000)
    await service.updateStore(t.storeId, {callback: {kind: 'get', url: `${m.url}/get`}})
    expect((await check(t, {phone: '01055550002', amount: '200', user_name: '9'})).json.status).toBe(true)
    await until('the GET callback', () => m.seen.some((s) => s.url.startsWith('/get?')), 10_000)
    const hook2 = m.seen.find((s) => s.url === '/hook')!
    const get2 = m.seen.find((s) => s.url.startsWith('/get?'))!
    expect(hook2.headers['webhook-signature']!.split(' ')).toHaveLength(1)
    expect(get2.url).not.toContain('signature_previous=')
    expect(verifiesWebhook(newSecret, hook2)).toBe(true)
    expect(verifiesWebhook(oldSecret, hook2)).toBe(false)
    expect(verifiesGet(newSecret, get2)).toBe(true)
    expect(verifiesGet(oldSecret, get2)).toBe(false)
    await m.close()
  }, 40_000)

  it('refuses an overlap that is not a duration or longer than 30 days', async () => {
    t = await startServer()
    const bad = await runCli(['store', 'rotate-secret', t.storeId, '--data-dir', t.dataDir, '--overlap', 'soon', '--json'])
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout)).toMatchObject({status: false, code: 'invalid_input'})
    const long = await runCli(['store', 'rotate-secret', t.storeId, '--data-dir', t.dataDir, '--overlap', '31d'])
    expect(long.code).toBe(2)
    expect(long.stderr).toMatch(/30 days/)
  })
})
