/**
 * `vcash sms tail` beats while it runs (contract §7): against a real server and a fake adb
 * server, the phone shows up in GET /api/devices, its lock is reported with the fix, and its SMS
 * are contacts of the same device.
 */
import fs from 'node:fs'

import {afterEach, describe, expect, it} from 'vitest'

import {remoteTarget, resolveTarget} from '../../src/agent/spool.js'
import {postHeartbeat} from '../../src/agent/heartbeat.js'
import type {DeviceView} from '../../src/core/views.js'
import {SmsTail, type TailEvent} from '../../src/agent/tail.js'
import {FakeAdbServer, FakePhone} from '../support/fake-adb-server.js'
import {startServer, tempDir, VF_R1} from '../support/vcash.js'
import {waitFor} from '../sms-sources/test-sms-server.js'

const closers: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

describe('sms tail heartbeat', () => {
  it('beats with the phone\'s state, says when the phone is locked (with the fix), and its SMS touch the same device', async () => {
    const t = await startServer({expireEveryMs: 3_600_000})
    closers.push(() => t.close())
    const adb = new FakeAdbServer()
    await adb.start()
    closers.push(() => adb.stop())
    const dir = tempDir()
    closers.push(() => fs.rmSync(dir, {recursive: true, force: true}))
    const phone = adb.plug('R58M123ABC', new FakePhone())

    const events: TailEvent[] = []
    const tail = new SmsTail({dataDir: dir, target: remoteTarget(t.url, t.deviceToken), adb: {port: adb.port}, intervalMs: 50, heartbeatMs: 100, handleSigint: false, appVersion: 'vcash/test'})
    tail.on('event', (e) => events.push(e))
    const run = tail.run()
    closers.push(async () => {
      tail.stop()
      await run.catch(() => {})
    })
    const devices = async () => ((await (await fetch(`${t.url}/api/devices`, {headers: {authorization: `Bearer ${t.apiToken}`}})).json()) as {devices: DeviceView[]}).devices

    await waitFor(() => events.some((e) => e.type === 'heartbeat' && e.ok), 5000, 'a heartbeat')
    let list = await devices()
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({name: 'adb:R58M123ABC', kind: 'tail', state: 'online', app_version: 'vcash/test', phone: {state: 'ready'}})

    phone.locked = true
    await waitFor(() => events.some((e) => e.type === 'phone'), 5000, 'the lock reported')
    expect(events.find((e) => e.type === 'phone')).toMatchObject({state: 'locked', message: 'The phone R58M123ABC is locked.', suggestion: expect.stringMatching(/Unlock it once after every restart/)})
    await new Promise((r) => setTimeout(r, 300))
    expect((await devices())[0]).toMatchObject({phone: {state: 'locked', detail: 'the screen is locked'}})

    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: 'VF-Cash', body: VF_R1('01012345678', '100', '000000000901')})
    await waitFor(() => events.some((e) => e.type === 'delivered'), 5000, 'delivery')
    list = await devices()
    expect(list.map((d) => d.name)).toEqual(['adb:R58M123ABC'])

    // Unauthorized: the heartbeat says so (the tail prints the fix as a waiting event).
    adb.setState('R58M123ABC', 'unauthorized')
    await waitFor(() => events.some((e) => e.type === 'waiting' && e.code === 'device_unauthorized'), 5000, 'unauthorized')
    await new Promise((r) => setTimeout(r, 300))
    expect((await devices())[0]).toMatchObject({phone: {state: 'unauthorized'}})
  })

  it('an older server without the endpoint: one warning, SMS still delivered', async () => {
    const {TestSmsServer} = await import('../sms-sources/test-sms-server.js')
    const server = new TestSmsServer()
    await server.start()
    closers.push(() => server.stop())
    const adb = new FakeAdbServer()
    await adb.start()
    closers.push(() => adb.stop())
    const dir = tempDir()
    const phone = adb.plug('R58M123ABC', new FakePhone())
    const events: TailEvent[] = []
    const tail = new SmsTail({dataDir: dir, target: remoteTarget(server.url, server.token), adb: {port: adb.port}, intervalMs: 50, heartbeatMs: 50, handleSigint: false})
    tail.on('event', (e) => events.push(e))
    const run = tail.run()
    closers.push(async () => {
      tail.stop()
      await run.catch(() => {})
    })
    await waitFor(() => events.some((e) => e.type === 'baseline'), 5000, 'baseline')
    phone.addSms({address: 'VF-Cash', body: VF_R1('01012345678', '100', '000000000902')})
    await waitFor(() => server.received.length === 1, 5000, 'delivery')
    await new Promise((r) => setTimeout(r, 300))
    const beats = events.filter((e) => e.type === 'heartbeat')
    expect(beats).toEqual([{type: 'heartbeat', ok: false, message: expect.stringMatching(/HTTP 404: .*does not take heartbeats/)}])
  })

  it('a local tail (no device token) beats through the loopback admin API into the store it names', async () => {
    const t = await startServer({expireEveryMs: 3_600_000})
    closers.push(() => t.close())
    const target = resolveTarget({dataDir: t.dataDir, storeId: t.storeId})
    expect(await postHeartbeat(target, {name: 'adb:LOCAL1', kind: 'tail', app_version: null, phone: {state: 'no_device', detail: 'No Android phone is connected with USB debugging on.'}})).toEqual({ok: true})
    const list = (await t.server.local.service.listDevices(t.storeId)).map((d) => [d.name, d.phone?.state])
    expect(list).toEqual([['adb:LOCAL1', 'no_device']])
  })
})
