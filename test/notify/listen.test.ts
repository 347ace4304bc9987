import {spawn} from 'node:child_process'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it} from 'vitest'

import {Listener} from '../../src/agent/listen.js'
import {until} from '../support/until.js'
import {BIN, check, cliEnv, postSms, runCli, type ServeChild, spawnServe, startServer, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function catcher() {
  const got: {url: string; headers: http.IncomingHttpHeaders; body: string}[] = []
  const s = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      got.push({url: req.url!, headers: req.headers, body})
      res.end('ok')
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise((r) => s.close(() => r(undefined))))
  return {url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, got}
}

/** A local SSE relay shaped like smee.io: POST /:channel is re-emitted as JSON with headers, parsed body and query. */
async function fakeSmee() {
  const subscribers = new Set<http.ServerResponse>()
  const s = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
      res.write('event: ready\ndata: {}\n\n')
      subscribers.add(res)
      req.on('close', () => subscribers.delete(res))
      return
    }
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x')
      const data = {...req.headers, body: JSON.parse(body) as unknown, query: Object.fromEntries(u.searchParams), timestamp: Date.now()}
      for (const sub of subscribers) sub.write(`data: ${JSON.stringify(data)}\n\n`)
      res.end('ok')
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  cleanups.push(() => {
    for (const sub of subscribers) sub.end()
    return new Promise((r) => s.close(() => r(undefined)))
  })
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/chan`
}

describe('vcash listen', () => {
  it('forwards the running server\'s notifications byte for byte, verifiable with the printed secret', async () => {
    const dir = tempDir()
    const site = await catcher()
    const init = await runCli(['store', 'init', '--data-dir', dir, '--name', 'S', '--callback', 'webhook', '--callback-url', 'http://127.0.0.1:9/down', '--mode', 'development', '--json'])
    const store = JSON.parse(init.stdout) as {id: string; device_token: string; signing_secret: string}
    const srv: ServeChild = await spawnServe(dir)
    cleanups.push(() => srv.child.kill('SIGKILL'))
    const child = spawn(process.execPath, [BIN, 'listen', '--data-dir', dir, '--forward-to', `${site.url}/hook`, '--json'], {env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    cleanups.push(() => child.kill('SIGKILL'))
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    await until(() => `the ready line (stdout: ${out})`, () => out.includes('"ready"'), 15_000)
    const ready = JSON.parse(out.split('\n')[0]!) as {signing_secret: string}
    expect(ready.signing_secret).toBe(store.signing_secret)

    const t = {url: srv.ready.url, deviceToken: store.device_token, storeId: store.id}
    await postSms(t, VF_R1('01012345678', '64', '019146600888'))
    expect((await check(t, {phone: '01012345678', amount: '64', user_name: 'l'})).json.status).toBe(true)
    await until('both webhooks forwarded', () => site.got.length === 2, 15_000)
    const wh = new Webhook(ready.signing_secret)
    expect(site.got.map((g) => (wh.verify(g.body, g.headers as Record<string, string>) as {type: string}).type).sort()).toEqual(['transaction.completed', 'transaction.received'])
    await until(() => `two forwarded lines (stdout: ${out})`, () => out.split('\n').filter((l) => l.includes('"forwarded"')).length === 2, 15_000)
  }, 60_000)

  it('survives a server restart: says it lost the connection, reconnects with backoff, forwards what comes after', async () => {
    const dir = tempDir()
    const site = await catcher()
    const init = await runCli(['store', 'init', '--data-dir', dir, '--name', 'S', '--callback', 'webhook', '--callback-url', 'http://127.0.0.1:9/down', '--mode', 'development', '--json'])
    const store = JSON.parse(init.stdout) as {id: string; device_token: string}
    let srv: ServeChild = await spawnServe(dir)
    cleanups.push(() => srv.child.kill('SIGKILL'))
    const child = spawn(process.execPath, [BIN, 'listen', '--data-dir', dir, '--forward-to', `${site.url}/hook`, '--json'], {env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    cleanups.push(() => child.kill('SIGKILL'))
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    // Complete lines only: a chunk may end mid-line.
    const lines = () => out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as {type: string; retry_in_ms?: number})
    await until(() => `the ready line (stdout: ${out})`, () => out.includes('"ready"'), 15_000)

    // Restart the server on the same data dir (a new port and admin token).
    srv.child.kill('SIGTERM')
    await waitExit(srv.child)
    await until(() => `a reconnecting line (stdout: ${out})`, () => lines().some((l) => l.type === 'reconnecting'), 20_000)
    expect(lines().find((l) => l.type === 'reconnecting')).toMatchObject({retry_in_ms: 1000})
    expect(child.exitCode, err).toBeNull()
    srv = await spawnServe(dir)
    await until(() => `a reconnected line (stdout: ${out})`, () => lines().some((l) => l.type === 'reconnected'), 30_000)
    expect(lines().find((l) => l.type === 'reconnected')).toMatchObject({source: srv.ready.url})

    await postSms({url: srv.ready.url, deviceToken: store.device_token}, VF_R1('01012345678', '66', '019146600890'))
    await until('the webhook forwarded', () => site.got.length === 1, 15_000)
    expect(JSON.parse(site.got[0]!.body)).toMatchObject({type: 'transaction.received', data: {amount: '66.00'}})
    await until(() => `a forwarded line (stdout: ${out})`, () => lines().some((l) => l.type === 'forwarded'), 15_000)
    expect(child.exitCode).toBeNull()
  }, 90_000)

  it('without --json: says "lost connection … retrying in 1s…" and "reconnected" on stderr', async () => {
    const dir = tempDir()
    const site = await catcher()
    await runCli(['store', 'init', '--data-dir', dir, '--name', 'S', '--callback', 'none', '--json'])
    let srv: ServeChild = await spawnServe(dir)
    cleanups.push(() => srv.child.kill('SIGKILL'))
    const child = spawn(process.execPath, [BIN, 'listen', '--data-dir', dir, '--forward-to', `${site.url}/hook`], {env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    cleanups.push(() => child.kill('SIGKILL'))
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    await until(() => `Ready! (stderr: ${err})`, () => err.includes('Ready!'), 15_000)
    srv.child.kill('SIGTERM')
    await waitExit(srv.child)
    await until(() => `lost connection (stderr: ${err})`, () => /lost connection to the server \(.+\), retrying in 1s…/.test(err), 20_000)
    srv = await spawnServe(dir)
    await until(() => `reconnected (stderr: ${err})`, () => err.includes(`reconnected to ${srv.ready.url}`), 30_000)
  }, 90_000)

  it('--source: pulls from a smee-shaped relay and still verifies after re-serialisation', async () => {
    const site = await catcher()
    const relay = await fakeSmee()
    const t = await startServer()
    cleanups.push(() => t.close())
    await t.server.local.service.updateStore(t.storeId, {callback: {kind: 'webhook', url: `${relay}?vcash_relay=1`}})
    const listener = new Listener({forwardTo: `${site.url}/hook`})
    const running = listener.fromSmee(relay)
    cleanups.push(() => listener.stop())
    await new Promise<void>((r) => listener.once('ready', () => r()))
    await postSms(t, VF_R1('01012345678', '65', '019146600889'))
    await until('the webhook forwarded', () => site.got.length === 1, 15_000)
    const store = (await t.server.local.storage.getStore(t.storeId))!
    const e = new Webhook(store.signingSecret).verify(site.got[0]!.body, site.got[0]!.headers as Record<string, string>) as {type: string; data: {amount: string}}
    expect(e).toMatchObject({type: 'transaction.received', data: {amount: '65.00'}})
    await listener.stop()
    await running
  }, 30_000)
})
