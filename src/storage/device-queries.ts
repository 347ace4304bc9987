/**
 * Devices and balance points (contract §7, docs/gates.md) as Kysely queries any engine runs:
 * the reads for both engines, and the writes of a batch for engines that write with Kysely
 * inside a transaction (PostgreSQL; SQLite runs the same statements prepared, in its group commit).
 */
import {type Kysely, sql, type Transaction} from 'kysely'

import {deviceId} from '../core/devices.js'
import type {BalancePoint, DeviceContact, DeviceRecord} from '../core/model.js'
import type {Database} from './schema.js'
import {ConflictError} from './storage.js'

type Db = Kysely<Database> | Transaction<Database>

const DEVICE_COLUMNS = ['data', 'version', 'last_contact_at', 'contact'] as const

interface DeviceRow {
  data: string
  version: number | string
  last_contact_at: number | string
  contact: string | null
}

/** A device as stored: its record, with the last contact (and the last heartbeat's words) from the upserted columns. */
export function deviceRecord(r: DeviceRow): DeviceRecord {
  const d = JSON.parse(r.data) as DeviceRecord
  // PostgreSQL hands bigint back as a string.
  d.version = Number(r.version)
  d.lastContactAt = new Date(Number(r.last_contact_at)).toISOString()
  const c = r.contact ? (JSON.parse(r.contact) as Pick<DeviceRecord, 'appVersion' | 'phone'>) : null
  d.appVersion = c?.appVersion ?? null
  d.phone = c?.phone ?? null
  return d
}

/** The row a contact inserts when the device is new, and what it changes when it is not. */
export function contactValues(c: DeviceContact): {id: string; at: number; contact: string | null; data: string} {
  const at = Date.parse(c.at)
  const contact = c.appVersion !== undefined || c.phone !== undefined ? JSON.stringify({appVersion: c.appVersion ?? null, phone: c.phone ?? null}) : null
  const id = deviceId(c.storeId, c.name)
  return {id, at, contact, data: JSON.stringify({id, storeId: c.storeId, name: c.name, kind: c.kind, lastContactAt: c.at, state: 'online', stateSince: c.at, createdAt: c.at})}
}

/** The newest contact wins; an older one (a late spool) never moves it back; an SMS keeps what the last heartbeat said. */
export const CONTACT_ON_CONFLICT = {
  last_contact_at: sql<number>`case when excluded.last_contact_at > devices.last_contact_at then excluded.last_contact_at else devices.last_contact_at end`,
  kind: sql<string>`excluded.kind`,
  contact: sql<string | null>`coalesce(excluded.contact, devices.contact)`,
}

/** A device's state as the record's JSON keeps it (the contact columns are the upsert's). */
export function deviceData(d: DeviceRecord): string {
  const {lastContactAt: _l, appVersion: _a, phone: _p, version: _v, ...rest} = d
  return JSON.stringify(rest)
}

export async function listDevices(k: Db, storeId?: string): Promise<DeviceRecord[]> {
  let q = k.selectFrom('devices').select(DEVICE_COLUMNS)
  if (storeId) q = q.where('store_id', '=', storeId)
  return (await q.orderBy('last_contact_at', 'desc').orderBy('id').execute()).map(deviceRecord)
}

export async function getDevice(k: Db, id: string): Promise<DeviceRecord | undefined> {
  const r = await k.selectFrom('devices').select(DEVICE_COLUMNS).where('id', '=', id).executeTakeFirst()
  return r ? deviceRecord(r) : undefined
}

export async function devicesToSweep(k: Db, silentBefore: Date, limit: number): Promise<DeviceRecord[]> {
  // Only devices that beat are watched: a forwarder that only posts SMS is silent whenever nobody pays.
  const silent = await k.selectFrom('devices').select(DEVICE_COLUMNS).where('state', '=', 'online').where('last_contact_at', '<', silentBefore.getTime()).where('contact', 'is not', null).orderBy('last_contact_at').limit(limit).execute()
  const back = await k.selectFrom('devices').select(DEVICE_COLUMNS).where('state', '=', 'offline').whereRef('last_contact_at', '>', 'state_since').orderBy('last_contact_at').limit(limit).execute()
  return [...silent, ...back].map(deviceRecord)
}

export async function lastBalancePoint(k: Db, storeId: string, chain: string, at: Date): Promise<BalancePoint | undefined> {
  const r = await k.selectFrom('balance_points').select(['data', 'version'])
    .where('store_id', '=', storeId).where('chain', '=', chain).where('at', '<=', at.getTime())
    .orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst()
  if (!r) return undefined
  const p = JSON.parse(r.data) as BalancePoint
  p.version = Number(r.version)
  return p
}

/** A batch's devices and balance points, inside the engine's transaction (PostgreSQL). */
export async function applyDeviceWrites(trx: Transaction<Database>, b: {deviceContacts?: DeviceContact[]; devices?: DeviceRecord[]; balancePoints?: BalancePoint[]}): Promise<void> {
  for (const c of b.deviceContacts ?? []) {
    const v = contactValues(c)
    await trx.insertInto('devices').values({id: v.id, store_id: c.storeId, name: c.name, kind: c.kind, last_contact_at: v.at, state: 'online', state_since: v.at, contact: v.contact, version: 1, data: v.data})
      .onConflict((oc) => oc.columns(['store_id', 'name']).doUpdateSet(CONTACT_ON_CONFLICT)).execute()
  }
  for (const d of b.devices ?? []) {
    const r = d.version === 0
      ? await trx.insertInto('devices').values({id: d.id, store_id: d.storeId, name: d.name, kind: d.kind, last_contact_at: Date.parse(d.lastContactAt), state: d.state, state_since: Date.parse(d.stateSince), contact: null, version: 1, data: deviceData(d)}).executeTakeFirst()
      : await trx.updateTable('devices').set({state: d.state, state_since: Date.parse(d.stateSince), version: d.version + 1, data: deviceData(d)}).where('id', '=', d.id).where('version', '=', d.version).executeTakeFirst()
    const n = 'numUpdatedRows' in r ? Number(r.numUpdatedRows) : Number(r.numInsertedOrUpdatedRows ?? 1)
    if (n !== 1) throw new ConflictError('device', d.id)
  }
  for (const p of b.balancePoints ?? []) {
    const {version: _v, ...rest} = p
    await trx.insertInto('balance_points').values({id: p.id, store_id: p.storeId, chain: p.chain, at: Date.parse(p.at), balance: p.balance, version: 1, data: JSON.stringify(rest)}).execute()
  }
}
