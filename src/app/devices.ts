/**
 * Devices (contract §7): whatever brings a store's SMS in. Each SMS or heartbeat moves the
 * device's last contact (in the SMS's own commit: no write of its own); a sweep in the
 * server's loop tells the merchant once when a device falls silent past the store's limit
 * (`device.offline`) and once when it is heard from again (`device.online`). Only a device
 * that has sent a heartbeat is watched for silence: one that only posts SMS (a forwarder app,
 * a script) is silent whenever nobody pays, and an alarm every night would teach merchants to
 * ignore the one that matters.
 */
import {deviceId} from '../core/devices.js'
import {deviceSilenceMinutes} from '../core/gates.js'
import type {DeviceContact, DeviceRecord, NotificationRecord, StoreRecord} from '../core/model.js'
import {ConflictError} from '../storage/storage.js'
import type {AppContext} from './context.js'

export type BuildDeviceNotification = (store: StoreRecord, device: DeviceRecord, event: 'device.offline' | 'device.online', now: Date, silenceMinutes: number) => NotificationRecord | null

export interface HeartbeatInput {
  name: string
  kind: DeviceContact['kind']
  appVersion?: string | null
  phone?: DeviceContact['phone']
}

export interface SweepResult {
  offline: DeviceRecord[]
  online: DeviceRecord[]
}

export class Devices {
  constructor(private readonly ctx: AppContext, private readonly build: BuildDeviceNotification) {}

  /** A device says it is alive (and what it sees of the phone); durable when this resolves. */
  async heartbeat(store: StoreRecord, hb: HeartbeatInput): Promise<DeviceRecord> {
    const at = this.ctx.now().toISOString()
    await this.ctx.storage.commit({deviceContacts: [{storeId: store.id, name: hb.name, kind: hb.kind, at, appVersion: hb.appVersion ?? null, phone: hb.phone ?? null}]})
    const d = await this.ctx.storage.getDevice(deviceId(store.id, hb.name))
    if (!d) throw new Error(`device ${hb.name} vanished after its heartbeat`)
    return d
  }

  list(storeId?: string): Promise<DeviceRecord[]> {
    return this.ctx.storage.listDevices(storeId)
  }

  /** One pass: devices silent past their store's limit go offline, silent ones heard from again come online. */
  async sweep(limit = 500): Promise<SweepResult> {
    const now = this.ctx.now()
    const stores = new Map((await this.ctx.storage.listStores()).map((s) => [s.id, s]))
    const out: SweepResult = {offline: [], online: []}
    if (stores.size === 0) return out
    const shortest = Math.min(...[...stores.values()].map((s) => deviceSilenceMinutes(s)))
    for (const d of await this.ctx.storage.devicesToSweep(new Date(now.getTime() - shortest * 60_000), limit)) {
      const store = stores.get(d.storeId)
      if (!store) continue
      const silence = deviceSilenceMinutes(store)
      const silentMs = now.getTime() - Date.parse(d.lastContactAt)
      let next: DeviceRecord
      let event: 'device.offline' | 'device.online'
      if (d.state === 'online') {
        if (silentMs <= silence * 60_000) continue
        next = {...d, state: 'offline', stateSince: now.toISOString()}
        event = 'device.offline'
      } else {
        next = {...d, state: 'online', stateSince: d.lastContactAt}
        event = 'device.online'
      }
      const n = this.build(store, next, event, now, silence)
      try {
        await this.ctx.storage.commit({devices: [next], notifications: n ? [n] : []})
      } catch (error) {
        // Another sweep took it: it is told once, by whoever committed first.
        if (!(error instanceof ConflictError)) throw error
        continue
      }
      if (n) this.ctx.emit({type: 'notification_queued', outcome: event})
      ;(event === 'device.offline' ? out.offline : out.online).push(next)
    }
    return out
  }
}
