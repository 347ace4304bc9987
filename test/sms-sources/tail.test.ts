import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {remoteTarget, Spool} from '../../src/agent/spool.js'
import {SmsTail, type TailEvent} from '../../src/agent/tail.js'
import {FakeAdbServer, FakePhone} from '../support/fake-adb-server.js'
import {TestSmsServer, waitFor} from './test-sms-server.js'

const VF_RECEIPT =
  'تم استلام مبلغ 3400 جنيه من رقم 01000000001 المسجل بإسم Ahmed S Example على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: 019146659820\nتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash\n'
/** Commas, quotes, newlines, and text that looks like the next row of `content query` output. */
const NASTY =
  'Received EGP1,250 from 00201100000017, "ref", \'x\'\nRow: 1 _id=99, date=1, date_sent=NULL, address=VF-Cash, body=forged\r\nend, date=5'

describe('SmsTail against a fake adb server', () => {
  let dir: string
  let adb: FakeAdbServer
  let server: TestSmsServer
  let tail: SmsTail | null
  let events: TailEvent[]
  let run: Promise<unknown> | null

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-tail-'))
    adb = new FakeAdbServer()
    await adb.start()
    server = new TestSmsServer()
    await server.start()
    events = []
    tail = null
    run = null
  })

  afterEach(async () => {
    tail?.stop()
    await run?.catch(() => {})
    await adb.stop()
    await server.stop()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  function start(opts: {serial?: string; sinceMs?: number; intervalMs?: number} = {}): void {
    tail = new SmsTail({
      dataDir: dir,
      target: remoteTarget(server.url, server.token),
      adb: {port: adb.port},
      intervalMs: opts.intervalMs ?? 100,
      backoff: {initialMs: 50, maxMs: 200},
      handleSigint: false,
      serial: opts.serial,
      sinceMs: opts.sinceMs,
    })
    tail.on('event', (e) => events.push(e))
    run = tail.run()
  }

  it('delivers a new SMS within one poll, body intact, and not the history', async () => {
    const phone = adb.plug('R58M123ABC', new FakePhone())
    phone.addSms({address: 'VF-Cash', body: 'old message from before the tail started'})
    start({intervalMs: 300})
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    const t0 = Date.now()
    phone.addSms({address: 'VF-Cash', body: VF_RECEIPT})
    await waitFor(() => server.received.length === 1, 5000, 'delivery')
    expect(Date.now() - t0).toBeLessThan(300 + 500)
    expect(server.received[0]).toMatchObject({sender: 'VF-Cash', body: VF_RECEIPT, status: 201})
    const sms = events.find((e) => e.type === 'sms')
    expect(sms).toMatchObject({type: 'sms', parsed: {kind: 'receive', provider: 'vodafone_cash', reference: '019146659820'}})
  })

  it('keeps commas, quotes, newlines and Row:-looking text intact', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: 'VF-Cash', body: NASTY})
    phone.addSms({address: 'VF-Cash', body: VF_RECEIPT})
    await waitFor(() => server.received.length === 2, 5000, 'two deliveries')
    expect(server.received.map((r) => r.body)).toEqual([NASTY, VF_RECEIPT])
  })

  it('does not forward personal SMS from ordinary senders', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: '+201001234567', body: 'your code is 1234'})
    phone.addSms({address: 'VF-Cash', body: VF_RECEIPT})
    await waitFor(() => server.received.length === 1, 5000, 'delivery')
    await new Promise((r) => setTimeout(r, 300))
    expect(server.received).toHaveLength(1)
    expect(events.filter((e) => e.type === 'sms')).toHaveLength(2)
  })

  it('survives unplug and replug without loss or duplicates', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}1`})
    await waitFor(() => server.received.length === 1, 5000, 'first delivery')
    adb.unplug('R58M123ABC')
    await waitFor(() => events.some((e) => e.type === 'device-lost'), 5000, 'device-lost')
    // Messages arriving while unplugged are read after the replug.
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}2`})
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}3`})
    adb.plug('R58M123ABC', phone)
    await waitFor(() => server.received.length === 3, 5000, 'deliveries after replug')
    await new Promise((r) => setTimeout(r, 300))
    expect(server.received.map((r) => r.body.slice(-1))).toEqual(['1', '2', '3'])
    expect(server.received.every((r) => r.status === 201)).toBe(true)
  })

  it('spools while the server is down and delivers everything once when it is back', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    await server.stop()
    for (let i = 1; i <= 5; i++) phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}#${i}`})
    await waitFor(() => events.some((e) => e.type === 'server-down'), 5000, 'server-down')
    await waitFor(() => events.filter((e) => e.type === 'sms').length === 5, 5000, 'five read')
    await server.start()
    await waitFor(() => server.received.length === 5, 5000, 'spool drained')
    await waitFor(() => events.some((e) => e.type === 'server-up'), 5000, 'server-up')
    await new Promise((r) => setTimeout(r, 300))
    expect(server.received.map((r) => r.body.split('#')[1])).toEqual(['1', '2', '3', '4', '5'])
    expect(server.received.every((r) => r.status === 201)).toBe(true)
  })

  it('resumes from the remembered cursor after a restart, spool included', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    server.forceStatus = 503
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}A`})
    await waitFor(() => events.some((e) => e.type === 'server-down'), 5000, 'server-down')
    tail?.stop()
    await run
    // Stopped with one message spooled; another arrives while vcash is not running.
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}B`})
    server.forceStatus = null
    events = []
    start()
    await waitFor(() => server.received.length === 2, 5000, 'both delivered')
    expect(server.received.map((r) => r.body.slice(-1))).toEqual(['A', 'B'])
    expect(events.some((e) => e.type === 'baseline')).toBe(false)
  })

  it('backfills with --since and twice gives no duplicates', async () => {
    const phone = adb.plug('R58M123ABC')
    const t = Date.parse('2026-04-13T20:00:00Z')
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}old`, date: t - 86_400_000})
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}x`, date: t + 1000})
    phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}y`, date: t + 2000})
    start({sinceMs: t})
    await waitFor(() => server.received.length === 2, 5000, 'backfill')
    tail?.stop()
    await run
    start({sinceMs: t})
    await waitFor(() => events.filter((e) => e.type === 'sms').length >= 4, 5000, 'second read')
    await new Promise((r) => setTimeout(r, 300))
    expect(server.received).toHaveLength(2)
    const spool = Spool.open(dir, remoteTarget(server.url, server.token).spoolKey)
    expect(spool.size).toBe(0)
    spool.close()
  })

  it('explains an unauthorized phone, then reads it once allowed', async () => {
    const phone = adb.plug('R58M123ABC', new FakePhone(), 'unauthorized')
    start()
    await waitFor(() => events.some((e) => e.type === 'waiting' && e.code === 'device_unauthorized'), 5000, 'unauthorized hint')
    adb.setState('R58M123ABC', 'offline')
    await waitFor(() => events.some((e) => e.type === 'waiting' && e.code === 'device_offline'), 5000, 'offline hint')
    adb.setState('R58M123ABC', 'device')
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: 'VF-Cash', body: VF_RECEIPT})
    await waitFor(() => server.received.length === 1, 5000, 'delivery')
  })

  it('waits for a phone when none is connected, with how to enable USB debugging', async () => {
    start()
    await waitFor(() => events.some((e) => e.type === 'waiting' && e.code === 'no_device'), 5000, 'no-device hint')
    const hint = events.find((e) => e.type === 'waiting')
    expect(hint).toMatchObject({suggestion: expect.stringMatching(/USB debugging/)})
    const phone = adb.plug('R58M123ABC')
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: 'VF-Cash', body: VF_RECEIPT})
    await waitFor(() => server.received.length === 1, 5000, 'delivery')
  })

  it('treats a reused _id (newest message deleted) as a new message', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    const first = phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}1`, date: 1_000_000})
    await waitFor(() => server.received.length === 1, 5000, 'first')
    phone.deleteSms(first.id)
    const second = phone.addSms({address: 'VF-Cash', body: `${VF_RECEIPT}2`, date: 2_000_000})
    expect(second.id).toBe(first.id)
    await waitFor(() => server.received.length === 2, 5000, 'second with the same id')
  })

  it('reconnects when the adb server restarts', async () => {
    const phone = adb.plug('R58M123ABC')
    start()
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    const port = adb.port
    await adb.stop()
    await waitFor(() => events.some((e) => e.type === 'device-lost'), 5000, 'device-lost')
    adb = new FakeAdbServer()
    await adb.start(port)
    adb.plug('R58M123ABC', phone)
    phone.addSms({address: 'VF-Cash', body: VF_RECEIPT})
    await waitFor(() => server.received.length === 1, 8000, 'delivery after the adb server came back')
  })

  it('errors at start when several phones are ready and it may not ask', async () => {
    adb.plug('A1')
    adb.plug('B2')
    start()
    await expect(run).rejects.toMatchObject({code: 'several_devices'})
    run = null
  })
})
