/**
 * Devices (contract §7) against a real server on loopback: heartbeats and SMS are contacts, the
 * server's test clock (`serve --dev`'s POST /admin/dev/clock) moves past the store's silence
 * limit, and the merchant's webhook endpoint (a loopback catcher) hears exactly one
 * device.offline and one device.online.
 */
import {Webhook} from 'standardwebhooks'
import {afterEach, describe, expect, it} from 'vitest'

import type {DeviceView} from '../../src/core/views.js'
import {runningServer} from '../../src/io/admin-info.js'
import {Catcher} from '../../src/simulate/catcher.js'
import {until} from '../support/until.js'
import {startServer, type TestServer, VF_R1} from '../support/vcash.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

async function setup(): Promise<{t: TestServer; catcher: Catcher}> {
  const catcher = new Catcher()
  await catcher.start()
  closers.push(() => catcher.stop())
  // No periodic sweep during the test: only the moved clock decides.
  const t = await startServer({expireEveryMs: 3_600_000, dispatcher: {pollMs: 50}})
  closers.push(() => t.close())
  await t.server.local.service.updateStore(t.storeId, {callback: {kind: 'webhook', url: `${catcher.url}/webhook`}})
  return {t, catcher}
}

async function heartbeat(t: TestServer, body: Record<string, unknown>, token = t.deviceToken) {
  const res = await fetch(`${t.url}/api/devices/heartbeat`, {method: 'POST', headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: JSON.stringify(body)})
  return {status: res.status, json: (await res.json()) as {device: DeviceView; code?: string}}
}

/** `serve --dev`'s clock: forward by `ms`, which also runs the expiry and device sweeps. */
async function advance(t: TestServer, ms: number): Promise<{devices: {offline: number; online: number}}> {
  const admin = runningServer(t.dataDir)!
  const res = await fetch(`${admin.url}/admin/dev/clock`, {method: 'POST', headers: {authorization: `Bearer ${admin.token}`, 'content-type': 'application/json'}, body: JSON.stringify({advance_ms: ms})})
  expect(res.status).toBe(200)
  return (await res.json()) as {devices: {offline: number; online: number}}
}

async function devices(t: TestServer): Promise<DeviceView[]> {
  const res = await fetch(`${t.url}/api/devices`, {headers: {authorization: `Bearer ${t.apiToken}`}})
  expect(res.status).toBe(200)
  return ((await res.json()) as {devices: DeviceView[]}).devices
}

const deviceEvents = (c: Catcher) => c.seen.filter((s) => s.path === '/webhook').map((s) => JSON.parse(s.body) as {type: string; data: DeviceView & {silence_limit_minutes: number}}).filter((e) => e.type.startsWith('device.'))

describe('devices', () => {
  it('a device that stops beating is reported offline once after the limit, and online once when it returns', async () => {
    const {t, catcher} = await setup()
    const hb = await heartbeat(t, {name: 'adb:R58M123ABC', kind: 'tail', app_version: 'vcash/test', phone: {state: 'ready'}})
    expect(hb.status).toBe(200)
    expect(hb.json.device).toMatchObject({name: 'adb:R58M123ABC', kind: 'tail', state: 'online', app_version: 'vcash/test', phone: {state: 'ready'}})

    // Inside the default 30-minute limit: nothing.
    expect((await advance(t, 29 * 60_000)).devices).toEqual({offline: 0, online: 0})
    expect((await advance(t, 2 * 60_000)).devices).toEqual({offline: 1, online: 0})
    // Still silent, swept again and again: told once.
    expect((await advance(t, 60 * 60_000)).devices).toEqual({offline: 0, online: 0})
    expect((await advance(t, 1000)).devices).toEqual({offline: 0, online: 0})
    expect((await devices(t))[0]).toMatchObject({name: 'adb:R58M123ABC', state: 'offline'})
    await until('device.offline', () => deviceEvents(catcher).length === 1)

    expect((await heartbeat(t, {name: 'adb:R58M123ABC', phone: {state: 'locked', detail: 'the screen is locked'}})).status).toBe(200)
    expect((await advance(t, 1000)).devices).toEqual({offline: 0, online: 1})
    expect((await advance(t, 1000)).devices).toEqual({offline: 0, online: 0})
    await until('device.online', () => deviceEvents(catcher).length === 2)
    await new Promise((r) => setTimeout(r, 300))
    const events = deviceEvents(catcher)
    expect(events.map((e) => e.type)).toEqual(['device.offline', 'device.online'])
    expect(events[0]!.data).toMatchObject({name: 'adb:R58M123ABC', state: 'offline', silence_limit_minutes: 30})
    expect(events[0]!.data.silent_for_seconds).toBeGreaterThanOrEqual(31 * 60)
    expect(events[1]!.data).toMatchObject({state: 'online', phone: {state: 'locked'}})
    // Signed like every webhook: the merchant verifies it with the standardwebhooks library.
    const raw = catcher.seen.find((s) => s.body.includes('device.offline'))!
    const store = (await t.server.local.service.requireStore(t.storeId))
    expect(new Webhook(store.signingSecret).verify(raw.body, raw.headers)).toMatchObject({type: 'device.offline'})
  })

  it('an SMS is a contact too: the device it names (X-Vcash-Device) is kept online, in the same commit', async () => {
    const {t, catcher} = await setup()
    await t.server.local.service.updateStore(t.storeId, {deviceSilenceMinutes: 10})
    expect((await heartbeat(t, {name: 'adb:PHONE1'})).status).toBe(200)
    const post = (ref: string) => fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json', 'x-vcash-device': 'adb:PHONE1'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1('01012345678', '100', ref)})})
    expect((await post('000000000101')).status).toBe(201)
    // A forwarder's re-send is still a contact.
    await advance(t, 9 * 60_000)
    expect((await post('000000000101')).status).toBe(200)
    expect((await advance(t, 9 * 60_000)).devices).toEqual({offline: 0, online: 0})
    const list = await devices(t)
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({name: 'adb:PHONE1', kind: 'tail', state: 'online'})
    expect((await advance(t, 2 * 60_000)).devices).toEqual({offline: 1, online: 0})
    await until('device.offline', () => deviceEvents(catcher).length === 1)
  })

  it('a device that only posts SMS (no heartbeat) is listed but never reported offline: it is silent whenever nobody pays', async () => {
    const {t, catcher} = await setup()
    const res = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1('01012345679', '100', '000000000111')})})
    expect(res.status).toBe(201)
    expect((await devices(t)).map((d) => [d.name, d.kind, d.state])).toEqual([['api', 'api', 'online']])
    expect((await advance(t, 24 * 60 * 60_000)).devices).toEqual({offline: 0, online: 0})
    await new Promise((r) => setTimeout(r, 200))
    expect(deviceEvents(catcher)).toEqual([])
  })

  it('GET /api/devices needs the store API token; the heartbeat the device token and a name', async () => {
    const {t} = await setup()
    expect((await fetch(`${t.url}/api/devices`)).status).toBe(401)
    expect((await fetch(`${t.url}/api/devices`, {headers: {authorization: `Bearer ${t.deviceToken}`}})).status).toBe(401)
    expect((await heartbeat(t, {name: 'x'}, t.apiToken)).status).toBe(401)
    const bad = await heartbeat(t, {kind: 'tail'})
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({status: false, code: 'invalid_input'})
    expect((await heartbeat(t, {name: 'x', phone: {state: 'exploded'}})).status).toBe(400)
  })

  it('device health is in /metrics', async () => {
    const {t} = await setup()
    await heartbeat(t, {name: 'adb:A'})
    await heartbeat(t, {name: 'adb:B'})
    await advance(t, 31 * 60_000)
    await heartbeat(t, {name: 'adb:A'})
    // The next sweep (every 30 s in a running server; here the moved clock) brings A back.
    await advance(t, 1000)
    const text = await (await fetch(`${t.url}/metrics`)).text()
    expect(text).toMatch(/^vcash_devices\{state="online"\} 1$/m)
    expect(text).toMatch(/^vcash_devices\{state="offline"\} 1$/m)
    const silence = /^vcash_device_silence_seconds\{store_id="[^"]+",device="adb:B",kind="tail"\} (\d+)$/m.exec(text)
    expect(Number(silence?.[1])).toBeGreaterThanOrEqual(31 * 60)
    expect(text).not.toMatch(/vcash_devices_total|vcash_device_silence_seconds_total/)
  })
})
