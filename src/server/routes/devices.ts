import type {IncomingMessage} from 'node:http'

import express, {type Request} from 'express'
import {z} from 'zod'

import {VcashError} from '../../core/errors.js'
import type {DeviceContact, StoreRecord} from '../../core/model.js'
import {hashToken} from '../../core/secrets.js'
import {validationError} from '../../core/store-settings.js'
import {deviceView} from '../../core/views.js'
import {bearer} from '../http-util.js'
import type {RouteContext} from './context.js'

/** What a phone can be, as `vcash sms tail` (or an app) sees it. */
export const PHONE_STATES = ['ready', 'locked', 'unauthorized', 'offline', 'unplugged', 'no_device', 'unknown'] as const

const deviceName = z.string().trim().min(1).max(100).regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'printable ASCII, e.g. adb:R58M123ABC')

const heartbeatSchema = z.object({
  name: deviceName,
  kind: z.enum(['tail', 'forwarder', 'api']).default('tail'),
  app_version: z.string().trim().max(64).nullable().optional(),
  phone: z.object({state: z.enum(PHONE_STATES), detail: z.string().max(300).nullable().optional()}).nullable().optional(),
}).strict()

const adminHeartbeatSchema = heartbeatSchema.extend({store_id: z.string().max(64).optional()})

/**
 * The device an SMS request names in `X-Vcash-Device` (a header, so an older server that does
 * not know it still takes the SMS): `vcash sms tail` sends `adb:SERIAL`. Without it, the
 * channel itself is the device.
 */
export function smsDevice(req: IncomingMessage, fallback: Pick<DeviceContact, 'name' | 'kind'> | null): Pick<DeviceContact, 'name' | 'kind'> | null {
  const h = req.headers['x-vcash-device']
  const name = typeof h === 'string' ? h.trim() : ''
  if (name === '' || !deviceName.safeParse(name).success) return fallback
  return {name, kind: name.startsWith('adb:') ? 'tail' : (fallback?.kind ?? 'api')}
}

function heartbeatInput(d: z.infer<typeof heartbeatSchema>) {
  return {name: d.name, kind: d.kind, appVersion: d.app_version ?? null, phone: d.phone ? {state: d.phone.state, detail: d.phone.detail ?? null} : null}
}

/** Contract §7: `POST /api/devices/heartbeat` (device token) and `GET /api/devices` (store API token). */
export function deviceRoutes(ctx: RouteContext): express.Router {
  const r = express.Router()
  const json = express.json({limit: '16kb', strict: true})

  r.post('/api/devices/heartbeat', json, async (req, res) => {
    const token = bearer(req)
    const store = token ? await ctx.storage.findStoreByDeviceTokenHash(hashToken(token)) : undefined
    if (!store) throw new VcashError('unauthorized', 'a valid device token is required', {http: 401, suggestion: 'Send Authorization: Bearer <device token> (printed by `vcash store init`).'})
    const body = heartbeatSchema.safeParse(req.body ?? {})
    if (!body.success) throw validationError(body.error)
    const d = await ctx.service.heartbeat(store, heartbeatInput(body.data))
    ctx.onChange()
    res.json({status: true, device: deviceView(d, ctx.service.clock())})
  })

  r.get('/api/devices', async (req, res) => {
    const store = await apiStore(ctx, req)
    const now = ctx.service.clock()
    res.json({status: true, devices: (await ctx.service.listDevices(store.id)).map((d) => deviceView(d, now))})
  })
  return r
}

/** The local `vcash sms tail` (no device token) beats through the loopback admin API. */
export function devicesAdminRouter(ctx: RouteContext): express.Router {
  const r = express.Router()
  r.post('/devices/heartbeat', express.json({limit: '16kb', strict: true}), async (req, res) => {
    const body = adminHeartbeatSchema.safeParse(req.body ?? {})
    if (!body.success) throw validationError(body.error)
    const store = await ctx.service.resolveStore(body.data.store_id)
    const d = await ctx.service.heartbeat(store, heartbeatInput(body.data))
    ctx.onChange()
    res.json({status: true, device: deviceView(d, ctx.service.clock())})
  })
  return r
}

async function apiStore(ctx: RouteContext, req: Request): Promise<StoreRecord> {
  const token = bearer(req)
  const store = token ? await ctx.storage.findStoreByApiTokenHash(hashToken(token)) : undefined
  if (!store) throw new VcashError('unauthorized', 'a valid API token is required', {http: 401, suggestion: 'Send Authorization: Bearer <the store API token>.'})
  return store
}
