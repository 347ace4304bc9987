/**
 * The SMS sources against the real vcash server, and the commands in-process (their returned
 * objects are the --json contract).
 */
import fs from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import SmsIngest from '../../src/commands/sms/ingest.js'
import SmsSync from '../../src/commands/sms/sync.js'
import {resolveTarget} from '../../src/agent/spool.js'
import {SmsTail, type TailEvent} from '../../src/agent/tail.js'
import {FakeAdbServer} from '../support/fake-adb-server.js'
import {ROOT, startServer, tempDir, type TestServer} from '../support/vcash.js'
import {TestSmsServer, waitFor} from './test-sms-server.js'

const RECEIPT = (ref: string, amount = 400) =>
  `تم استلام مبلغ ${amount}.00 جنيه من 01000000006؛\nالمسجل بإسم Samy Samy Abd El Sample Ahmed\nعلى رقم محفظتك 01000000007 بتاريخ 20:32 26-08-02.\nرصيدك الحالي: 4144.75 جنيه\nرقم العملية: ${ref}\n تقدر تتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash`

/** Runs a command in-process with stdout/stderr swallowed; returns what run() returned. */
async function runQuiet<T>(fn: () => Promise<T>): Promise<T> {
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = (() => true) as typeof process.stdout.write
  process.stderr.write = (() => true) as typeof process.stderr.write
  try {
    return await fn()
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

describe('tail into the real vcash server', () => {
  let srv: TestServer
  let adb: FakeAdbServer

  beforeEach(async () => {
    srv = await startServer()
    adb = new FakeAdbServer()
    await adb.start()
  })
  afterEach(async () => {
    await adb.stop()
    await srv.close()
    fs.rmSync(srv.dataDir, {recursive: true, force: true})
  })

  it('a new SMS on the phone becomes a PENDING transaction within one poll (default target: the local server)', async () => {
    const phone = adb.plug('R58M123ABC')
    const events: TailEvent[] = []
    const tail = new SmsTail({dataDir: srv.dataDir, target: resolveTarget({dataDir: srv.dataDir}), adb: {port: adb.port}, intervalMs: 200, handleSigint: false})
    tail.on('event', (e) => events.push(e))
    const run = tail.run()
    try {
      await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
      phone.addSms({address: 'VF-Cash', body: RECEIPT('022304890518')})
      await waitFor(() => events.some((e) => e.type === 'delivered'), 5000, 'delivery')
      const res = await fetch(`${srv.url}/api/transactions?status=PENDING`, {headers: {authorization: `Bearer ${srv.apiToken}`}})
      const body = (await res.json()) as {transactions: {status: string; reference: string; amount: string; sender_phone: string}[]}
      expect(body.transactions).toEqual([expect.objectContaining({status: 'PENDING', reference: '022304890518', amount: '400.00', sender_phone: '01000000006'})])
    } finally {
      tail.stop()
      await run
    }
  })

  it('the same SMS via the device endpoint twice is stored once', async () => {
    const phone = adb.plug('R58M123ABC')
    const target = resolveTarget({dataDir: srv.dataDir, server: srv.url, deviceToken: srv.deviceToken})
    const events: TailEvent[] = []
    const tail = new SmsTail({dataDir: srv.dataDir, target, adb: {port: adb.port}, intervalMs: 100, handleSigint: false})
    tail.on('event', (e) => events.push(e))
    const run = tail.run()
    try {
      await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
      // The phone holding two copies of one SMS (a known duplicate-delivery bug) gives one transaction.
      phone.addSms({address: 'VF-Cash', body: RECEIPT('015756930737', 488)})
      phone.addSms({address: 'VF-Cash', body: RECEIPT('015756930737', 488)})
      await waitFor(() => events.filter((e) => e.type === 'delivered').length === 2, 5000, 'two deliveries')
      const kinds = events.flatMap((e) => (e.type === 'delivered' ? [e.outcome.kind] : []))
      expect(kinds).toEqual(['new', 'duplicate'])
    } finally {
      tail.stop()
      await run
    }
  })
})

describe('vcash sms sync', () => {
  let dir: string
  let adb: FakeAdbServer
  let server: TestSmsServer
  const savedSocket = process.env.ADB_SERVER_SOCKET

  beforeEach(async () => {
    dir = tempDir('vcash-sync-')
    adb = new FakeAdbServer()
    await adb.start()
    server = new TestSmsServer()
    await server.start()
    process.env.ADB_SERVER_SOCKET = `tcp:127.0.0.1:${adb.port}`
  })
  afterEach(async () => {
    if (savedSocket === undefined) delete process.env.ADB_SERVER_SOCKET
    else process.env.ADB_SERVER_SOCKET = savedSocket
    await adb.stop()
    await server.stop()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('backfills since a date; running it twice adds no duplicates', async () => {
    const phone = adb.plug('R58M123ABC')
    const t = Date.parse('2026-04-13T20:00:00Z')
    phone.addSms({address: 'VF-Cash', body: RECEIPT('000000000001'), date: t - 3_600_000})
    phone.addSms({address: 'VF-Cash', body: RECEIPT('000000000002'), date: t + 1000})
    phone.addSms({address: '+201001234567', body: 'personal, not forwarded', date: t + 1500})
    phone.addSms({address: 'VF-Cash', body: 'رصيد حسابك فى فودافون كاش الحالي950.15 جنيه', date: t + 2000})
    const args = ['--since', '2026-04-13T20:00:00Z', '--server', server.url, '--device-token', server.token, '--data-dir', dir, '--json']
    const first = await runQuiet(() => SmsSync.run(args, ROOT))
    expect(first).toMatchObject({serial: 'R58M123ABC', read: 3, new: 2, skipped: 1, pending: 0})
    expect(first.messages.map((m) => m.outcome)).toEqual(['new', 'skipped', 'new'])
    const second = await runQuiet(() => SmsSync.run(args, ROOT))
    expect(second).toMatchObject({read: 3, new: 0, already_delivered: 2})
    expect(server.stored).toHaveLength(2)
  })
})

describe('vcash sms ingest', () => {
  it('ingests the fixtures through the running server, then straight into the data dir: only duplicates the second time', async () => {
    const dataDir = tempDir('vcash-ingest-')
    const srv = await startServer({dataDir})
    try {
      const fixtures = path.join(ROOT, 'fixtures/sms')
      const first = await runQuiet(() => SmsIngest.run([fixtures, '--data-dir', dataDir, '--json'], ROOT))
      expect(first.new).toBeGreaterThan(5)
      expect(first.ignored).toBeGreaterThan(5)
      await srv.close()
      const second = await runQuiet(() => SmsIngest.run([fixtures, '--data-dir', dataDir, '--json'], ROOT))
      expect(second.new).toBe(0)
      expect(second.duplicate).toBe(first.new + first.duplicate + first.ignored)
    } finally {
      await srv.close()
      fs.rmSync(dataDir, {recursive: true, force: true})
    }
  })
})
