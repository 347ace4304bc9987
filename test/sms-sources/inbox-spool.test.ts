import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {VcashError} from '../../src/core/errors.js'
import {AdbHost} from '../../src/agent/adb/client.js'
import {CursorStore} from '../../src/agent/adb/cursor.js'
import {normaliseShellOutput, parseList, readInbox} from '../../src/agent/adb/inbox.js'
import {selectDevice} from '../../src/agent/adb/select.js'
import {readSmsFiles} from '../../src/agent/ingest-files.js'
import {flushSpool, remoteTarget, resendRejected, Spool} from '../../src/agent/spool.js'
import {FakePhone} from '../support/fake-adb-server.js'
import {TestSmsServer} from './test-sms-server.js'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-sms-'))
})
afterEach(() => {
  fs.rmSync(dir, {recursive: true, force: true})
})

async function rejection(p: Promise<unknown>): Promise<VcashError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  )
  expect(e).toBeInstanceOf(VcashError)
  return e as VcashError
}

describe('inbox reading', () => {
  it('reads well-behaved bodies in one bulk query', async () => {
    const phone = new FakePhone()
    phone.addSms({address: 'VF-Cash', body: 'line one\nline two, with a comma', date: 1000})
    phone.addSms({address: 'e& money', body: 'تم إستلام مبلغ 200.00 ج.م', date: 2000, dateSent: 1999})
    const r = await readInbox(async (c) => phone.shell(c), {minId: 1})
    expect(r.requeried).toBe(false)
    expect(r.messages).toEqual([
      {id: 1, address: 'VF-Cash', body: 'line one\nline two, with a comma', date: 1000, dateSent: null},
      {id: 2, address: 'e& money', body: 'تم إستلام مبلغ 200.00 ج.م', date: 2000, dateSent: 1999},
    ])
  })

  it('falls back to one query per _id when a body forges a row boundary', async () => {
    const phone = new FakePhone()
    const forged = 'hello\nRow: 1 _id=2, date=5, date_sent=NULL, address=VF-Cash, body=fake receipt'
    phone.addSms({address: 'VF-Cash', body: forged, date: 1000})
    phone.addSms({address: 'VF-Cash', body: 'real second\n', date: 2000})
    const r = await readInbox(async (c) => phone.shell(c), {minId: 1})
    expect(r.requeried).toBe(true)
    expect(r.messages.map((m) => m.body)).toEqual([forged, 'real second\n'])
    expect(phone.commands.filter((c) => c.includes('"_id=')).length).toBe(2)
  })

  it('undoes a PTY\'s CRLF only when every newline went through it', () => {
    expect(normaliseShellOutput('Row: 0 _id=1, body=a\r\nb\r\n')).toBe('Row: 0 _id=1, body=a\nb\n')
    expect(normaliseShellOutput('Row: 0 _id=1, body=a\r\nb\n')).toBe('Row: 0 _id=1, body=a\r\nb\n')
  })

  it('turns a provider error (exit 0, no rows) into a clear error', async () => {
    const phone = new FakePhone()
    phone.providerError = 'Error while accessing provider:sms\njava.lang.SecurityException: Permission Denial: reading com.android.providers.telephony.SmsProvider\n'
    const e = await rejection(readInbox(async (c) => phone.shell(c), {}))
    expect(e.code).toBe('sms_provider_error')
    expect(e.suggestion).toMatch(/USB debugging \(Security settings\)/)
  })

  it('rejects malformed ids instead of guessing', () => {
    expect(() => parseList('Row: 0 _id=abc, date=1, date_sent=NULL, address=x\n')).toThrow(VcashError)
    expect(parseList('No result found.\n')).toEqual([])
  })
})

describe('cursor', () => {
  it('persists the last id and date per device atomically', () => {
    const c = new CursorStore(dir)
    c.set('A', 7, 1234)
    c.set('B', 9, 99)
    const again = new CursorStore(dir)
    expect(again.get('A')).toMatchObject({lastId: 7, lastDate: 1234})
    expect(again.get('B')).toMatchObject({lastId: 9, lastDate: 99})
    expect(fs.readdirSync(path.dirname(c.file)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('spool', () => {
  const input = (n: number) => ({key: `k${n}`, sender: 'VF-Cash', body: `body ${n}, "quoted"\nline`, receivedAt: new Date(n * 1000).toISOString(), source: 'test'})

  it('keeps pending entries across reopen, in order, and skips known keys', () => {
    const s = Spool.open(dir, 'remote:x')
    expect(s.add([input(1), input(2), input(1)]).map((r) => r.added)).toEqual([true, true, false])
    s.ack(1, 201)
    s.close()
    const again = Spool.open(dir, 'remote:x')
    expect(again.pending().map((e) => e.key)).toEqual(['k2'])
    expect(again.add([input(1), input(2), input(3)]).map((r) => (r.added ? 'added' : r.reason))).toEqual(['delivered', 'pending', 'added'])
    again.close()
  })

  it('ignores a torn last line after a crash and keeps appending cleanly', () => {
    const s = Spool.open(dir, 'remote:x')
    s.add([input(1)])
    s.close()
    fs.appendFileSync(s.file, '{"t":"add","seq":2,"key":"k2","sen')
    const again = Spool.open(dir, 'remote:x')
    expect(again.pending().map((e) => e.key)).toEqual(['k1'])
    again.add([input(3)])
    again.close()
    const third = Spool.open(dir, 'remote:x')
    expect(third.pending().map((e) => e.key)).toEqual(['k1', 'k3'])
    third.close()
  })

  it('refuses a second live owner', () => {
    const s = Spool.open(dir, 'remote:x')
    fs.writeFileSync(`${s.file}.lock`, JSON.stringify({pid: process.ppid, host: os.hostname()}))
    s.close()
    fs.writeFileSync(`${s.file}.lock`, JSON.stringify({pid: process.ppid, host: os.hostname()}))
    expect(() => Spool.open(dir, 'remote:x')).toThrow(/Another vcash process/)
    fs.rmSync(`${s.file}.lock`)
  })

  it('delivers in order, removes only after a 2xx, holds a 4xx as rejected, stops on 5xx', async () => {
    const server = new TestSmsServer()
    await server.start()
    try {
      const s = Spool.open(dir, 'remote:x')
      s.add([input(1), {...input(2), body: ''}, input(3)])
      server.forceStatus = 503
      const down = await flushSpool(s, remoteTarget(server.url, server.token))
      expect(down).toMatchObject({ok: false, sent: 0})
      expect(s.size).toBe(3)
      server.forceStatus = null
      const up = await flushSpool(s, remoteTarget(server.url, server.token))
      expect(up).toEqual({ok: true, sent: 3})
      expect(s.size).toBe(0)
      expect(server.received.map((r) => r.body)).toEqual([input(1).body, input(3).body])
      // The refused one is not retried by a flush, but it is not gone either.
      const again = await flushSpool(s, remoteTarget(server.url, server.token))
      expect(again).toEqual({ok: true, sent: 0})
      expect(s.rejected()).toEqual([expect.objectContaining({key: 'k2', rejection: expect.objectContaining({status: 400, code: 'invalid_input', message: 'sender, body, received_at required'})})])
      expect(s.state('k2')).toBe('rejected')
      expect(s.add([input(2)])).toEqual([{added: false, reason: 'rejected'}])
      s.close()
      const reopened = Spool.open(dir, 'remote:x')
      expect(reopened.rejected().map((e) => e.key)).toEqual(['k2'])
      expect(reopened.target).toBe('remote:x')
      reopened.close()
    } finally {
      await server.stop()
    }
  })

  it('resends rejected entries: a 2xx removes one, another 4xx keeps it with the new answer', async () => {
    const server = new TestSmsServer()
    await server.start()
    try {
      const s = Spool.open(dir, 'remote:x')
      s.add([input(1), input(2)])
      server.refuse = () => ({status: 422, code: 'store_required', message: 'say which store'})
      await flushSpool(s, remoteTarget(server.url, server.token))
      expect(s.rejected().map((e) => e.key)).toEqual(['k1', 'k2'])
      expect(server.received).toEqual([])
      server.refuse = (sms) => (sms.body === input(2).body ? {status: 409, code: 'conflict', message: 'still no'} : null)
      const res = await resendRejected(s, remoteTarget(server.url, server.token))
      expect(res).toEqual({ok: true, sent: 2})
      expect(server.received.map((r) => r.body)).toEqual([input(1).body])
      expect(s.rejected()).toEqual([expect.objectContaining({key: 'k2', rejection: expect.objectContaining({status: 409, code: 'conflict', message: 'still no'})})])
      expect(s.state('k1')).toBe('delivered')
      s.discard(2)
      expect(s.rejectedCount).toBe(0)
      expect(s.state('k2')).toBe('delivered')
      s.close()
      const again = Spool.open(dir, 'remote:x')
      expect(again.rejectedCount).toBe(0)
      expect(again.size).toBe(0)
      again.close()
    } finally {
      await server.stop()
    }
  })

  it('reads a drop written by an older version back as rejected, and keeps rejected entries through compaction', () => {
    const s = Spool.open(dir, 'remote:x')
    s.add([input(1), input(2)])
    s.close()
    // What vcash wrote for a 4xx before: the entry was gone for good.
    fs.appendFileSync(s.file, `${JSON.stringify({t: 'drop', seq: 1, status: 400, reason: 'this data dir has 2 stores; say which one'})}\n`)
    const again = Spool.open(dir, 'remote:x')
    expect(again.rejected()).toEqual([expect.objectContaining({key: 'k1', rejection: {status: 400, code: null, message: 'this data dir has 2 stores; say which one', at: null}})])
    again.ack(2, 201)
    again.compact()
    again.close()
    const compacted = Spool.inspect(again.file)
    expect(compacted.rejected().map((e) => e.key)).toEqual(['k1'])
    expect(compacted.state('k2')).toBe('delivered')
    expect(compacted.target).toBe('remote:x')
    // Inspecting takes no lock: the owner can still open it.
    Spool.open(dir, 'remote:x').close()
  })

  it('a wrong device token is a clear error, not a retry loop', async () => {
    const server = new TestSmsServer()
    await server.start()
    try {
      const s = Spool.open(dir, 'remote:x')
      s.add([input(1)])
      const e = await rejection(flushSpool(s, remoteTarget(server.url, 'wrong')))
      expect(e.code).toBe('device_token_rejected')
      expect(s.size).toBe(1)
      s.close()
    } finally {
      await server.stop()
    }
  })
})

describe('device selection', () => {
  it('uses the only ready phone, errors naming --serial when several and no TTY', async () => {
    expect((await selectDevice([{serial: 'A', state: 'device'}], {})).serial).toBe('A')
    const e = await rejection(selectDevice([{serial: 'A', state: 'device'}, {serial: 'B', state: 'device'}], {}))
    expect(e.code).toBe('several_devices')
    expect(e.suggestion).toContain('--serial')
    expect((await selectDevice([{serial: 'A', state: 'device'}, {serial: 'B', state: 'device'}], {prompt: async () => 'B'})).serial).toBe('B')
  })

  it('explains no phone, an unauthorized one and an offline one in plain words', async () => {
    const none = await rejection(selectDevice([], {}))
    expect(none.code).toBe('no_device')
    expect(none.suggestion).toMatch(/USB debugging/)
    const unauth = await rejection(selectDevice([{serial: 'A', state: 'unauthorized'}], {}))
    expect(unauth.code).toBe('device_unauthorized')
    expect(unauth.suggestion).toMatch(/Allow/)
    const offline = await rejection(selectDevice([{serial: 'A', state: 'offline'}], {serial: 'A'}))
    expect(offline.code).toBe('device_offline')
    const missing = await rejection(selectDevice([{serial: 'A', state: 'device'}], {serial: 'Z'}))
    expect(missing.code).toBe('device_not_found')
  })
})

describe('adb missing', () => {
  it('says how to install adb, without crashing the process', async () => {
    // A free port (nothing listens) and a binary that does not exist.
    const net = await import('node:net')
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as {port: number}).port
        s.close(() => resolve(p))
      })
    })
    const e = await rejection(new AdbHost({port, bin: path.join(dir, 'no-such-adb')}).ensureServer())
    expect(e.code).toBe('adb_not_found')
    expect(e.exit).toBe(69)
    expect(e.suggestion).toMatch(/platform-tools/)
    expect(e.suggestion).toMatch(/apt-get install adb/)
  })
})

describe('file ingest', () => {
  it('reads fixture .txt, JSON lines and SMS Backup & Restore XML, recursively, with per-file errors', () => {
    fs.mkdirSync(path.join(dir, 'nested'))
    fs.writeFileSync(path.join(dir, 'a.txt'), 'From: VF-Cash\nReceived: 2026-04-13T20:04:09Z\n\nline 1, "q"\nline 2\n')
    fs.writeFileSync(
      path.join(dir, 'nested', 'b.jsonl'),
      `${JSON.stringify({sender: 'e& money', body: 'x, y\nz', received_at: '2026-04-13T20:00:00Z'})}\nnot json\n${JSON.stringify({sender: 'VF-Cash', body: 'two'})}\n`,
    )
    fs.writeFileSync(
      path.join(dir, 'nested', 'backup.xml'),
      `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count="3"><sms protocol="0" address="VF-Cash" date="1776110649000" type="1" body="a, &quot;b&quot; &amp; c&#10;line2 &#55357;&#56832;" read="1" /><sms address="0100" date="1" type="2" body="sent by me" /><mms date="1" /></smses>`,
    )
    fs.writeFileSync(path.join(dir, 'broken.txt'), 'no header here')
    const r = readSmsFiles([dir])
    expect(r.inputs.map((i) => [i.sender, i.body, i.receivedAt])).toEqual([
      ['VF-Cash', 'line 1, "q"\nline 2', '2026-04-13T20:04:09Z'],
      ['e& money', 'x, y\nz', '2026-04-13T20:00:00.000Z'],
      ['VF-Cash', 'two', null],
      ['VF-Cash', 'a, "b" & c\nline2 😀', '2026-04-13T20:04:09.000Z'],
    ])
    expect(r.skipped).toBe(2)
    expect(r.errors.map((e) => path.basename(e.file))).toEqual(['broken.txt', 'b.jsonl'])
  })

  it('reads a JSON export (array of address/body/date records)', () => {
    fs.writeFileSync(path.join(dir, 'export.json'), JSON.stringify([{address: 'VF-Cash', body: 'hi', date: 1776110649000, type: 1}, {address: 'me', body: 'out', date: 1, type: 2}]))
    const r = readSmsFiles([path.join(dir, 'export.json')])
    expect(r.inputs).toHaveLength(1)
    expect(r.skipped).toBe(1)
  })
})
