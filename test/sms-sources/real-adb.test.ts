/**
 * The whole chain with Debian's real adb server in the middle: adb-ts → `adb` (private port,
 * private HOME) → our fake device over TCP. Skipped, with the reason, when `adb` is missing;
 * CI (.ci/run) installs it.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {AdbHost} from '../../src/agent/adb/client.js'
import {readInbox} from '../../src/agent/adb/inbox.js'
import {remoteTarget} from '../../src/agent/spool.js'
import {SmsTail, type TailEvent} from '../../src/agent/tail.js'
import {FakeAdbDevice} from '../support/fake-adb-device.js'
import {realTool} from '../support/vcash.js'
import {TestSmsServer, waitFor} from './test-sms-server.js'

function adbInstalled(): boolean {
  try {
    execFileSync('adb', ['version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const HAVE_ADB = adbInstalled()
if (!HAVE_ADB) console.warn('skipping real-adb tests: `adb` is not installed (apt-get install adb, or Android platform-tools)')

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
}

const NASTY = 'تم استلام مبلغ 3400 جنيه من رقم 01000000001, "quoted", \'single\'\nRow: 1 _id=77, date=1, date_sent=NULL, address=VF-Cash, body=forged\nرقم العملية: 019146659820\n'

describe.skipIf(!realTool('adb', HAVE_ADB))('real adb server + fake device over TCP', () => {
  let home: string
  let adbPort: number
  let env: NodeJS.ProcessEnv
  const device = new FakeAdbDevice()

  const adb = (...args: string[]) => execa('adb', ['-P', String(adbPort), ...args], {env, reject: false, timeout: 20_000})

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-adb-home-'))
    adbPort = await freePort()
    // A private server (own port, own HOME for its keys) never touches a developer's adb.
    env = {...process.env, HOME: home, ANDROID_USER_HOME: path.join(home, '.android'), ADB_MDNS: '0', ADB_MDNS_AUTO_CONNECT: '0'}
    await device.plug()
    // vcash starts the server itself, as it would for a user.
    await new AdbHost({port: adbPort, env}).ensureServer()
    const r = await adb('connect', device.serial)
    expect(r.stdout).toMatch(/connected to/)
  })

  afterAll(async () => {
    await adb('kill-server')
    await device.unplug()
    fs.rmSync(home, {recursive: true, force: true})
  })

  it('reads the inbox through the real adb server with bodies intact', async () => {
    device.phone.addSms({address: 'VF-Cash', body: NASTY, date: 1_776_110_649_000})
    device.phone.addSms({address: 'e& money', body: 'second, plain', date: 1_776_110_650_000})
    const host = new AdbHost({port: adbPort})
    const deadline = Date.now() + 10_000
    let devices = await host.devices()
    while (!devices.some((d) => d.serial === device.serial && d.state === 'device') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      devices = await host.devices()
    }
    expect(devices.find((d) => d.serial === device.serial)).toMatchObject({state: 'device', model: 'FakePhone'})
    const r = await readInbox((c) => host.shell(device.serial, c), {minId: 1})
    expect(r.messages.map((m) => m.body)).toEqual([NASTY, 'second, plain'])
  })

  it('tails a new SMS to the server within one poll, and resumes after a replug', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-real-tail-'))
    const server = new TestSmsServer()
    await server.start()
    const events: TailEvent[] = []
    const tail = new SmsTail({dataDir: dir, target: remoteTarget(server.url, server.token), adb: {port: adbPort}, serial: device.serial, intervalMs: 250, handleSigint: false, backoff: {initialMs: 50, maxMs: 200}})
    tail.on('event', (e) => events.push(e))
    const run = tail.run()
    try {
      await waitFor(() => events.some((e) => e.type === 'baseline'), 10_000, 'baseline')
      const t0 = Date.now()
      device.phone.addSms({address: 'VF-Cash', body: `${NASTY}new`})
      await waitFor(() => server.received.length === 1, 10_000, 'delivery')
      expect(Date.now() - t0).toBeLessThan(2000)
      expect(server.received[0]?.body).toBe(`${NASTY}new`)

      await device.unplug()
      await adb('disconnect', device.serial)
      await waitFor(() => events.some((e) => e.type === 'device-lost'), 10_000, 'device-lost')
      device.phone.addSms({address: 'VF-Cash', body: `${NASTY}while unplugged`})
      await device.plug()
      await adb('connect', device.serial)
      await waitFor(() => server.received.length === 2, 15_000, 'delivery after replug')
      await new Promise((r) => setTimeout(r, 500))
      expect(server.received.map((r) => r.body)).toEqual([`${NASTY}new`, `${NASTY}while unplugged`])
    } finally {
      tail.stop()
      await run.catch(() => {})
      await server.stop()
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })
})
