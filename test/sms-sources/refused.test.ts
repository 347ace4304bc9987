/**
 * No SMS is lost to an ambiguous store or a refusing server: `vcash sms tail` refuses to start
 * when it cannot tell which store the phone belongs to (before touching adb), and an SMS the
 * server refuses with a 4xx stays in the spool as rejected until `vcash sms spool --resend`
 * delivers it. The CLI runs as a child process against a fake adb server and real loopback
 * servers over real temp dirs.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {FakeAdbServer} from '../support/fake-adb-server.js'
import {BIN, cliEnv, runCli, startServer, tempDir, type TestServer, waitExit} from '../support/vcash.js'
import {TestSmsServer, waitFor} from './test-sms-server.js'

const RECEIPT = (ref: string, amount = 400) =>
  `تم استلام مبلغ ${amount}.00 جنيه من 01000000006؛\nالمسجل بإسم Samy Samy Abd El Sample Ahmed\nعلى رقم محفظتك 01000000007 بتاريخ 20:32 26-08-02.\nرصيدك الحالي: 4144.75 جنيه\nرقم العملية: ${ref}\n تقدر تتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash`

interface SpoolJson {
  pending: number
  rejected: number
  entries: {state: string; key: string; body: string; target: string | null; rejection: {status: number; code: string | null; message: string} | null}[]
  resend: {delivered: number; duplicate: number; rejected: number; not_sent: number} | null
}

/** `vcash sms tail` as a child we can watch and stop with Ctrl-C. */
function spawnTail(args: string[], env: Record<string, string>): {child: ChildProcess; out: () => string; err: () => string} {
  const child = spawn(process.execPath, [BIN, 'sms', 'tail', ...args], {env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  return {child, out: () => out, err: () => err}
}

function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

async function createStore(srv: TestServer, name: string): Promise<string> {
  // The CLI's way: open the ledger beside the running server.
  const l = await openLocal({dataDir: srv.dataDir, holder: 'cli'})
  try {
    return (await l.service.createStore({name, callback: {kind: 'none'}, mode: 'development'})).store.id
  } finally {
    await l.close()
  }
}

async function pendingTransactions(srv: TestServer, apiToken = srv.apiToken): Promise<{reference: string; status: string}[]> {
  const res = await fetch(`${srv.url}/api/transactions?status=PENDING`, {headers: {authorization: `Bearer ${apiToken}`}})
  return ((await res.json()) as {transactions: {reference: string; status: string}[]}).transactions
}

describe('sms tail with several stores in the data dir', () => {
  let srv: TestServer
  let adb: FakeAdbServer
  let env: Record<string, string>
  let second: string

  beforeEach(async () => {
    srv = await startServer()
    second = await createStore(srv, 'Second shop')
    adb = new FakeAdbServer()
    await adb.start()
    adb.plug('R58M123ABC')
    env = {ADB_SERVER_SOCKET: `tcp:127.0.0.1:${adb.port}`}
  })
  afterEach(async () => {
    await adb.stop()
    await srv.close()
    fs.rmSync(srv.dataDir, {recursive: true, force: true})
  })

  it('refuses to start without --store (exit 2, store_required naming --store and the ids) before any adb connection', async () => {
    const json = await runCli(['sms', 'tail', '--data-dir', srv.dataDir, '--json'], {env})
    expect(json.code).toBe(2)
    const err = JSON.parse(json.stdout.trim()) as {status: boolean; code: string; suggestion: string}
    expect(err).toMatchObject({status: false, code: 'store_required'})
    expect(err.suggestion).toContain('--store')
    expect(err.suggestion).toContain(srv.storeId)
    expect(err.suggestion).toContain(second)

    const human = await runCli(['sms', 'tail', '--data-dir', srv.dataDir], {env})
    expect(human.code).toBe(2)
    expect(human.stdout).toBe('')
    expect(human.stderr).toMatch(/2 stores/)
    expect(human.stderr).toContain('--store')
    expect(human.stderr).toContain(second)

    // Not even `host:version`: the phone and adb were never touched.
    expect(adb.requests).toEqual([])
    expect(fs.existsSync(path.join(srv.dataDir, 'sms', 'adb-cursors.json'))).toBe(false)
  })

  it('refuses an unknown --store the same way, and sms sync too', async () => {
    const unknown = await runCli(['sms', 'tail', '--data-dir', srv.dataDir, '--store', 'st_nosuch', '--json'], {env})
    expect(unknown.code).toBe(2)
    expect(JSON.parse(unknown.stdout.trim())).toMatchObject({code: 'store_not_found'})
    const sync = await runCli(['sms', 'sync', '--since', '1d', '--data-dir', srv.dataDir, '--json'], {env})
    expect(sync.code).toBe(2)
    expect(JSON.parse(sync.stdout.trim())).toMatchObject({code: 'store_required'})
    expect(adb.requests).toEqual([])
  })

  it('with --store it reads the phone (the fake adb does see a connection)', async () => {
    const tail = spawnTail(['--data-dir', srv.dataDir, '--store', second, '--interval', '1', '--json'], env)
    try {
      await waitFor(() => ndjson(tail.out()).some((e) => e.type === 'baseline'), 15_000, 'baseline')
      expect(adb.requests.length).toBeGreaterThan(0)
    } finally {
      tail.child.kill('SIGINT')
      expect(await waitExit(tail.child)).toBe(0)
    }
  })
})

describe('an SMS the server refuses is held, reported, and delivered by sms spool --resend', () => {
  let adb: FakeAdbServer
  let env: Record<string, string>

  beforeEach(async () => {
    adb = new FakeAdbServer()
    await adb.start()
    env = {ADB_SERVER_SOCKET: `tcp:127.0.0.1:${adb.port}`}
  })
  afterEach(async () => {
    await adb.stop()
  })

  it('a 400 from the server: rejected in the spool and the summary; after the fix --resend delivers it and it leaves the spool', async () => {
    const dir = tempDir('vcash-refused-')
    const server = new TestSmsServer()
    await server.start()
    try {
      const phone = adb.plug('R58M123ABC')
      const refused = RECEIPT('000000000400')
      server.refuse = (sms) => (sms.body === refused ? {status: 400, code: 'store_required', message: 'this data dir has 2 stores; say which one'} : null)
      const remote = ['--server', server.url, '--device-token', server.token, '--data-dir', dir]
      const tail = spawnTail([...remote, '--interval', '1', '--json'], env)
      let sms: {id: number}
      try {
        await waitFor(() => ndjson(tail.out()).some((e) => e.type === 'baseline'), 15_000, 'baseline')
        sms = phone.addSms({address: 'VF-Cash', body: refused})
        phone.addSms({address: 'VF-Cash', body: RECEIPT('000000000401')})
        await waitFor(() => ndjson(tail.out()).some((e) => e.type === 'rejected') && server.received.length === 1, 15_000, 'a refusal and a delivery')
      } finally {
        tail.child.kill('SIGINT')
      }
      expect(await waitExit(tail.child)).toBe(0)
      const events = ndjson(tail.out())
      expect(events.find((e) => e.type === 'rejected')).toMatchObject({status: 400, code: 'store_required', message: 'this data dir has 2 stores; say which one'})
      // The stop summary counts it; the one the server took is not pending.
      expect(events.at(-1)).toMatchObject({type: 'summary', read: 2, rejected: 1, pending: 0, delivered: {new: 1}})
      // The cursor moved past it: only because the spool holds it.
      const cursors = JSON.parse(fs.readFileSync(path.join(dir, 'sms', 'adb-cursors.json'), 'utf8')) as {devices: Record<string, {lastId: number}>}
      expect(cursors.devices.R58M123ABC!.lastId).toBeGreaterThan(sms.id)

      const listed = await runCli(['sms', 'spool', '--data-dir', dir, '--json'])
      expect(listed.code).toBe(0)
      const spool = JSON.parse(listed.stdout) as SpoolJson
      expect(spool).toMatchObject({rejected: 1, pending: 0})
      expect(spool.entries).toEqual([
        expect.objectContaining({state: 'rejected', body: refused, target: `remote:${server.url}`, rejection: expect.objectContaining({status: 400, code: 'store_required', message: 'this data dir has 2 stores; say which one'})}),
      ])

      // Human listing: the entry on stdout, the counts and the hint on stderr.
      const human = await runCli(['sms', 'spool', '--data-dir', dir])
      expect(human.stdout).toMatch(/rejected .*400\.00 EGP/)
      expect(human.stdout).toContain('HTTP 400 store_required')
      expect(human.stderr).toContain('1 rejected, 0 pending')
      expect(human.stderr).toContain('--resend')

      // While the server is down, a resend keeps it (exit 69), still rejected.
      server.forceStatus = 503
      const down = await runCli(['sms', 'spool', '--resend', ...remote, '--json'])
      expect(down.code).toBe(69)
      expect(JSON.parse(down.stdout.trim())).toMatchObject({code: 'server_unreachable'})
      expect((JSON.parse((await runCli(['sms', 'spool', '--data-dir', dir, '--json'])).stdout) as SpoolJson).rejected).toBe(1)

      // "The fix": the server takes it now.
      server.forceStatus = null
      server.refuse = null
      const before = server.received.length
      const resent = await runCli(['sms', 'spool', '--resend', ...remote, '--json'])
      expect(resent.code).toBe(0)
      const after = JSON.parse(resent.stdout) as SpoolJson
      expect(after.resend).toMatchObject({delivered: 1, rejected: 0, not_sent: 0})
      expect(after).toMatchObject({rejected: 0, pending: 0, entries: []})
      expect(server.received.slice(before)).toEqual([expect.objectContaining({sender: 'VF-Cash', body: refused, status: 201})])
      expect((JSON.parse((await runCli(['sms', 'spool', '--data-dir', dir, '--json'])).stdout) as SpoolJson).entries).toEqual([])
    } finally {
      await server.stop()
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('end to end with the real server: a second store appears mid-tail, the SMS is held, --resend --store makes it a PENDING transaction', async () => {
    const srv = await startServer()
    try {
      const phone = adb.plug('R58M123ABC')
      const tail = spawnTail(['--data-dir', srv.dataDir, '--interval', '1'], env)
      const ref = '022304890519'
      try {
        await waitFor(() => tail.err().includes('following new messages'), 15_000, 'baseline')
        await createStore(srv, 'Second shop')
        phone.addSms({address: 'VF-Cash', body: RECEIPT(ref)})
        await waitFor(() => tail.err().includes('refused by the server'), 15_000, 'refusal')
      } finally {
        tail.child.kill('SIGINT')
      }
      expect(await waitExit(tail.child)).toBe(0)
      expect(tail.out()).toContain(ref)
      expect(tail.err()).toContain('HTTP 400 store_required')
      // The stop summary says so, and how to get it delivered.
      expect(tail.err()).toMatch(/1 refused by the server/)
      expect(tail.err()).toMatch(/1 SMS refused by the server is kept in the spool, not lost/)
      expect(tail.err()).toContain('vcash sms spool')
      expect(tail.err()).toContain('--resend')
      expect(await pendingTransactions(srv)).toEqual([])

      const spool = JSON.parse((await runCli(['sms', 'spool', '--data-dir', srv.dataDir, '--json'])).stdout) as SpoolJson
      expect(spool.entries).toEqual([expect.objectContaining({state: 'rejected', rejection: expect.objectContaining({status: 400, code: 'store_required'})})])

      // Without --store the resend is refused up front (nothing sent, still held).
      const ambiguous = await runCli(['sms', 'spool', '--data-dir', srv.dataDir, '--resend', '--json'])
      expect(ambiguous.code).toBe(2)
      expect(JSON.parse(ambiguous.stdout.trim())).toMatchObject({code: 'store_required'})

      const resent = await runCli(['sms', 'spool', '--data-dir', srv.dataDir, '--resend', '--store', srv.storeId, '--json'])
      expect(resent.code).toBe(0)
      expect(JSON.parse(resent.stdout)).toMatchObject({resend: {delivered: 1}, rejected: 0, entries: []})
      expect(await pendingTransactions(srv)).toEqual([expect.objectContaining({reference: ref, status: 'PENDING'})])
    } finally {
      await srv.close()
      fs.rmSync(srv.dataDir, {recursive: true, force: true})
    }
  })
})
