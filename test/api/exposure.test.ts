/**
 * What a server behind a reverse proxy shows the internet (issue #10): trust-proxy by proxy-addr,
 * the admin API and /metrics for local peers only, failed-check limits per IPv6 /64, the
 * connection cap, and --dev never relaxing a production store. Real HTTP on loopback.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import {Writable} from 'node:stream'

import {afterEach, describe, expect, it} from 'vitest'

import {callerKey} from '../../src/core/rate-limit.js'
import {clientIp, compileTrust} from '../../src/server/http-util.js'
import {createLogger, maskPhone, prettyLine} from '../../src/server/log.js'
import {check, postSms, realTool, ROOT, startServer, type TestServer, VF_R1} from '../support/vcash.js'

const servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function serve(opts: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(opts)
  servers.push(s)
  return s
}

/** A raw request, so headers like Forwarded and paths like /ADMIN reach the server exactly as written. */
function get(url: string, headers: Record<string, string> = {}): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    http.get(url, {headers, agent: false}, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
    }).on('error', reject)
  })
}

function adminToken(t: TestServer): string {
  return (JSON.parse(fs.readFileSync(path.join(t.dataDir, 'admin.json'), 'utf8')) as {token: string}).token
}

let refSeq = 300_000_000_000
const ref = () => String(refSeq++).padStart(12, '0')

describe('trust proxy (proxy-addr, the parser express uses)', () => {
  it('compiles every form the flag and env var arrive in to the same trust', () => {
    const peer = (remoteAddress: string, xff?: string) => ({socket: {remoteAddress}, headers: xff ? {'x-forwarded-for': xff} : {}}) as unknown as http.IncomingMessage
    for (const trust of [['127.0.0.1'], '127.0.0.1', ' 10.0.0.0/8 ,127.0.0.1', ['10.0.0.0/8,127.0.0.1'], ['loopback']]) {
      const fn = compileTrust(trust)
      expect(clientIp(peer('127.0.0.1', '203.0.113.9'), fn)).toBe('203.0.113.9')
      expect(clientIp(peer('198.51.100.1', '203.0.113.9'), fn)).toBe('198.51.100.1')
    }
    // rightmost untrusted hop: a client cannot prepend its own X-Forwarded-For
    expect(clientIp(peer('127.0.0.1', '1.1.1.1, 203.0.113.9'), compileTrust('127.0.0.1'))).toBe('203.0.113.9')
    expect(clientIp(peer('::ffff:127.0.0.1', '203.0.113.9'), compileTrust([]))).toBe('127.0.0.1')
    expect(() => compileTrust('not-an-ip')).toThrow()
  })

  it('the check fast path and express routes both believe X-Forwarded-For only from the trusted proxy', async () => {
    const t = await serve({trustProxy: '127.0.0.1'})
    await t.server.local.service.updateStore(t.storeId, {allowIps: ['203.0.113.5']})
    const via = await check(t, {phone: '01012345678', amount: '10'}, {'x-forwarded-for': '203.0.113.5'})
    expect(via.status).toBe(200)
    const other = await check(t, {phone: '01012345678', amount: '10'}, {'x-forwarded-for': '203.0.113.6'})
    expect(other.status).toBe(403)
    expect(other.json.message).toMatch(/203\.0\.113\.6/)

    const untrusted = await serve({trustProxy: ['10.0.0.1']})
    await untrusted.server.local.service.updateStore(untrusted.storeId, {allowIps: ['203.0.113.5']})
    const spoof = await check(untrusted, {phone: '01012345678', amount: '10'}, {'x-forwarded-for': '203.0.113.5'})
    expect(spoof.status).toBe(403)
    expect(spoof.json.message).toMatch(/127\.0\.0\.1/)
  })
})

describe('the admin API: direct loopback requests only, in any spelling', () => {
  it('answers a local tool, and 404s anything a proxy relayed or any other case of /admin', async () => {
    const t = await serve({trustProxy: '127.0.0.1'})
    const auth = {authorization: `Bearer ${adminToken(t)}`}
    expect((await get(`${t.url}/admin/stores`, auth)).status).toBe(200)
    const relayed: Record<string, string>[] = [{'x-forwarded-for': '203.0.113.9'}, {forwarded: 'for=203.0.113.9'}, {'x-real-ip': '203.0.113.9'}, {'x-forwarded-proto': 'https'}]
    for (const h of relayed) {
      const r = await get(`${t.url}/admin/stores`, {...auth, ...h})
      expect(r.status, JSON.stringify(h)).toBe(404)
      expect(r.body).not.toMatch(/stores"/)
    }
    // express matched routes case-insensitively, nginx's `location /admin/` does not: /ADMIN got through a proxy.
    for (const p of ['/ADMIN/stores', '/Admin/stores', '/aDmIn/stores?x=1']) {
      expect((await get(`${t.url}${p}`, {...auth, 'x-forwarded-for': '203.0.113.9'})).status, p).toBe(404)
      expect((await get(`${t.url}${p}`, auth)).status, p).toBe(404)
    }
    expect((await get(`${t.url}/admin/stores`)).status).toBe(401)
  })
})

describe('/healthz and /metrics', () => {
  it('/healthz says only that it is alive', async () => {
    const t = await serve()
    await postSms(t, VF_R1('01012345678', '10', ref()))
    const r = await get(`${t.url}/healthz`, {'x-forwarded-for': '203.0.113.9'})
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({status: true, ok: true})
  })

  it('/metrics: a direct loopback peer, never through a proxy, unless it has the metrics token', async () => {
    const t = await serve({trustProxy: '127.0.0.1'})
    expect((await get(`${t.url}/metrics`)).status).toBe(200)
    expect((await get(`${t.url}/metrics`, {'x-forwarded-for': '203.0.113.9'})).status).toBe(404)

    const token = 'metrics-token-0123456789abcdef'
    const m = await serve({trustProxy: '127.0.0.1', metricsToken: token})
    expect((await get(`${m.url}/metrics`, {'x-forwarded-for': '203.0.113.9'})).status).toBe(401)
    expect((await get(`${m.url}/metrics`, {'x-forwarded-for': '203.0.113.9', authorization: 'Bearer wrong'})).status).toBe(401)
    const ok = await get(`${m.url}/metrics`, {'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${token}`})
    expect(ok.status).toBe(200)
    expect(ok.body).toMatch(/^# TYPE vcash_sms_total counter$/m)
  })

  it('names no gauge or histogram *_total, and promtool check metrics passes on the real output', async () => {
    const t = await serve()
    await postSms(t, VF_R1('01012345678', '10', ref()))
    await check(t, {phone: '01012345678', amount: '10'})
    await check(t, {phone: '01099999999', amount: '10'})
    const text = (await get(`${t.url}/metrics`)).body
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const)
    expect(types.length).toBeGreaterThan(10)
    expect(types.filter(([name, type]) => name.endsWith('_total') && type !== 'counter')).toEqual([])
    expect(types.map(([n]) => n)).toContain('vcash_nodejs_active_handles')

    let have = true
    try {
      execFileSync('promtool', ['--version'], {stdio: 'ignore'})
    } catch {
      have = false
    }
    if (!realTool('promtool', have)) return
    // promtool exits non-zero on any lint problem and prints it; a clean run prints nothing.
    const out = execFileSync('promtool', ['check', 'metrics'], {input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']})
    expect(out.trim()).toBe('')
  })
})

describe('failed-check limits per caller: IPv4 address, IPv6 /64', () => {
  it('keys an IPv6 address by its /64 and an IPv4-mapped address as its IPv4', () => {
    expect(callerKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
    expect(callerKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(callerKey('2001:0db8:0001:0003::1')).toBe('2001:db8:1:3::/64')
    expect(callerKey('::ffff:198.51.100.7')).toBe('198.51.100.7')
    expect(callerKey('198.51.100.7')).toBe('198.51.100.7')
    expect(callerKey('198.51.100.8')).not.toBe(callerKey('198.51.100.7'))
    expect(callerKey('unix')).toBe('unix')
  })

  it('hopping addresses inside one /64 buys no more guesses; another /64 has its own window', async () => {
    const t = await serve({trustProxy: '127.0.0.1', failedCheckLimit: 3})
    const guess = (ip: string) => check(t, {phone: '01055555555', amount: '99'}, {'x-forwarded-for': ip})
    for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:abcd::3']) expect((await guess(ip)).json.code).toBe('not_found')
    const fourth = await guess('2001:db8:1:2::4')
    expect(fourth.status).toBe(429)
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await guess('2001:db8:1:3::1')).json.code).toBe('not_found')

    for (const ip of ['198.51.100.7', '::ffff:198.51.100.7', '198.51.100.7']) expect((await guess(ip)).json.code).toBe('not_found')
    expect((await guess('::ffff:198.51.100.7')).status).toBe(429)
    expect((await guess('198.51.100.8')).json.code).toBe('not_found')
  })
})

describe('connection cap and timeouts', () => {
  it('more idle sockets than the cap cannot lock a check out: the oldest idle ones are closed', async () => {
    const t = await serve({limits: {maxConnections: 20}})
    const sockets: net.Socket[] = []
    let closed = 0
    try {
      for (let i = 0; i < 60; i++) {
        const s = net.connect(Number(new URL(t.url).port), '127.0.0.1')
        s.on('error', () => {})
        s.on('close', () => closed++)
        sockets.push(s)
        await new Promise<void>((resolve) => s.once('connect', () => resolve()))
      }
      await new Promise((r) => setTimeout(r, 100))
      const started = Date.now()
      const r = await check(t, {phone: '01012345678', amount: '10'})
      expect(r.status).toBe(200)
      expect(Date.now() - started).toBeLessThan(2000)
      const open = await new Promise<number>((resolve) => (t.server as unknown as {server: http.Server}).server.getConnections((_e, n) => resolve(n)))
      expect(open).toBeLessThanOrEqual(20)
      expect(closed).toBeGreaterThanOrEqual(40)
    } finally {
      for (const s of sockets) s.destroy()
    }
  })

  it('closes a socket that sends nothing once the header deadline passes', async () => {
    const t = await serve({limits: {headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 800}})
    const s = net.connect(Number(new URL(t.url).port), '127.0.0.1')
    s.on('error', () => {})
    // Read what the server says on its way out (a 408), or 'close' would wait on unread data.
    s.resume()
    const started = Date.now()
    await new Promise<void>((resolve) => s.once('close', () => resolve()))
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(3000)
  })
})

describe('serve --dev and a production store', () => {
  it('still refuses to deliver a production store\'s callback to a private address', async () => {
    // A listener where the production store's URL points: before, --dev lifted the guard and it was called.
    let connections = 0
    const trap = net.createServer((s) => {
      connections++
      s.destroy()
    })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', () => resolve()))
    const port = (trap.address() as net.AddressInfo).port
    try {
      const t = await serve({dev: true, dispatcher: {pollMs: 20, scheduleMs: [0, 60_000]}})
      const prod = await t.server.local.service.createStore({name: 'Shop', mode: 'production', callback: {kind: 'webhook', url: `https://127.0.0.1:${port}/hook`}})
      const r = await postSms({url: t.url, deviceToken: prod.deviceToken}, VF_R1('01012345678', '10', ref()))
      expect(r.status).toBe(201)
      let lastError: string | null = null
      for (let i = 0; i < 100 && !lastError; i++) {
        await new Promise((res) => setTimeout(res, 20))
        const [n] = await t.server.local.storage.listNotifications({storeId: prod.store.id})
        lastError = n?.lastError ?? null
      }
      expect(lastError).toMatch(/public addresses/)
      expect(connections).toBe(0)
    } finally {
      trap.close()
    }
  })
})

describe('log lines', () => {
  it('one line per SMS (no body), check (phone masked, no token) and delivery attempt (status, attempt, next retry)', async () => {
    const lines: string[] = []
    const sink = new Writable({write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    }})
    let hits = 0
    const merchant = http.createServer((req, res) => {
      hits++
      req.resume()
      res.writeHead(hits === 1 ? 500 : 200).end()
    })
    await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', () => resolve()))
    try {
      const t = await serve({log: createLogger({format: 'json', level: 'info', stream: sink, color: false}), dispatcher: {pollMs: 20, scheduleMs: [0, 50, 50]}})
      const port = (merchant.address() as net.AddressInfo).port
      const shop = await t.server.local.service.createStore({name: 'Dev shop', mode: 'development', callback: {kind: 'webhook', url: `http://127.0.0.1:${port}/hook`}, requireToken: true})
      const body = VF_R1('01012345678', '75', ref())
      expect((await postSms({url: t.url, deviceToken: shop.deviceToken}, body)).status).toBe(201)
      const claim = await check({url: t.url, storeId: shop.store.id}, {phone: '01012345678', amount: '75', token: shop.apiToken})
      expect(claim.json.status).toBe(true)
      await check({url: t.url, storeId: shop.store.id}, {phone: '01012345678', amount: '75', token: 'wrong-token'})
      for (let i = 0; i < 150 && !lines.some((l) => l.includes('"delivery"') && l.includes('"delivered":true')); i++) await new Promise((r) => setTimeout(r, 20))

      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      const sms = parsed.find((l) => l.msg === 'sms ingested')!
      expect(sms).toMatchObject({store: shop.store.id, outcome: 'created', provider: 'vodafone_cash', source: 'api'})
      expect(sms.template).toEqual(expect.any(String))
      expect(sms.sms).toEqual(expect.stringMatching(/\S/))
      const checks = parsed.filter((l) => l.msg === 'check')
      expect(checks.map((c) => c.outcome)).toEqual(['completed', 'unauthorized'])
      expect(checks[0]).toMatchObject({store: shop.store.id, phone: '010****5678'})
      const deliveries = parsed.filter((l) => l.msg === 'delivery')
      expect(deliveries[0]).toMatchObject({store: shop.store.id, event: 'transaction.received', status: 500, attempt: 1, delivered: false})
      expect(deliveries[0]!.next_attempt_at).toEqual(expect.any(String))
      expect(deliveries.some((d) => d.delivered === true && d.status === 200 && d.next_attempt_at === undefined)).toBe(true)

      const all = lines.join('\n')
      expect(all).not.toContain('01012345678')
      expect(all).not.toContain('رصيدك') // the SMS text
      for (const secret of [shop.apiToken, shop.deviceToken, shop.store.signingSecret, 'wrong-token']) expect(all).not.toContain(secret)
    } finally {
      merchant.close()
    }
  })

  it('pretty lines: time, level, message, key=value; colour only when asked', () => {
    const json = JSON.stringify({level: 30, time: '2026-12-01T10:00:00.000Z', msg: 'check', store: 'st_1', outcome: 'not_found', phone: '010****5678', note: 'two words'})
    expect(prettyLine(json, false)).toBe('2026-12-01T10:00:00.000Z INFO  check store=st_1 outcome=not_found phone=010****5678 note="two words"\n')
    expect(prettyLine(json, true)).toContain('\u001B[32mINFO \u001B[39m')
    expect(maskPhone('01012345678')).toBe('010****5678')
    expect(maskPhone('12')).toBe('****')
  })
})

describe('/openapi.json', () => {
  it('passes `redocly lint` (recommended rules) with no errors and no warnings, offline', async () => {
    const t = await serve()
    const doc = (await get(`${t.url}/openapi.json`)).body
    const file = path.join(t.dataDir, 'openapi.json')
    fs.writeFileSync(file, doc)
    const bin = path.join(ROOT, 'node_modules/.bin/redocly')
    // No telemetry and no update check: the lint must not need (or use) the network.
    const env = {...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1'}
    // Where user namespaces are allowed, run it with no network at all: proof it needs none.
    const offline = spawnSync('unshare', ['-rn', 'true']).status === 0
    const [cmd, args] = offline ? ['unshare', ['-rn', bin, 'lint', file, '--format', 'json']] : [bin, ['lint', file, '--format', 'json']]
    let out: string
    try {
      out = execFileSync(cmd, args, {env, cwd: t.dataDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000})
    } catch (error) {
      out = String((error as {stdout?: string}).stdout ?? '')
    }
    const report = JSON.parse(out.slice(out.indexOf('{'))) as {totals: {errors: number; warnings: number}; problems: {ruleId: string; message: string}[]}
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([])
    expect(report.totals).toMatchObject({errors: 0, warnings: 0})
    const parsed = JSON.parse(doc) as {paths: Record<string, unknown>; webhooks: Record<string, unknown>; servers: unknown[]}
    expect(Object.keys(parsed.paths)).toEqual(expect.arrayContaining(['/api/sms/smsgateway', '/api/sms/httpsms']))
    expect(Object.keys(parsed.webhooks).sort()).toEqual(['getCallback', 'intentWebhook', 'standardWebhook', 'whmcsAddCredit'])
  }, 90_000)
})
