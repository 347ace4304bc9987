import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it} from 'vitest'

import {check, postSms, runCli, type ServeChild, spawnServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const children: ServeChild[] = []
const servers: http.Server[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
  for (const s of servers.splice(0)) s.close()
})

async function freePort(): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const {port} = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('the outbox survives a SIGKILL between commit and send', () => {
  it('delivers after restart, once, with a verifiable signature', async () => {
    const dir = tempDir()
    const port = await freePort()
    const init = await runCli(['store', 'init', '--data-dir', dir, '--name', 'Shop', '--callback', 'webhook', '--callback-url', `http://127.0.0.1:${port}/hook`, '--mode', 'development', '--json'])
    expect(init.code).toBe(0)
    const store = JSON.parse(init.stdout) as {id: string; device_token: string; signing_secret: string}

    const first = await spawnServe(dir)
    children.push(first)
    const t = {url: first.ready.url, deviceToken: store.device_token, storeId: store.id}
    expect((await postSms(t, VF_R1('01012345678', '90', '019146600777'))).status).toBe(201)
    const answer = await check(t, {phone: '01012345678', amount: '90', user_name: '5'})
    expect(answer.json.status).toBe(true)
    // The merchant is down: nothing was delivered. Kill the server hard.
    first.child.kill('SIGKILL')
    await waitExit(first.child)

    const got: {headers: http.IncomingHttpHeaders; body: string}[] = []
    const merchant = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        got.push({headers: req.headers, body})
        res.end('ok')
      })
    })
    servers.push(merchant)
    await new Promise<void>((r) => merchant.listen(port, '127.0.0.1', r))

    const second = await spawnServe(dir)
    children.push(second)
    const deadline = Date.now() + 20_000
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const wh = new Webhook(store.signing_secret)
    const types = got.map((g) => (wh.verify(g.body, g.headers as Record<string, string>) as {type: string}).type)
    expect(types.sort()).toEqual(['transaction.completed', 'transaction.received'])
    const list = await runCli(['callbacks', 'list', '--data-dir', dir, '--json'])
    const callbacks = (JSON.parse(list.stdout) as {callbacks: {state: string; attempts: unknown[]}[]}).callbacks
    expect(callbacks.map((c) => c.state)).toEqual(['delivered', 'delivered'])
    // Killed before or after a failed first attempt: either way the last attempt delivered it.
    expect(callbacks.every((c) => c.attempts.length >= 1 && (c.attempts.at(-1) as {status: number}).status === 200)).toBe(true)
  }, 60_000)
})
