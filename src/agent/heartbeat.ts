/**
 * `vcash sms tail`'s heartbeat (contract §7): while it runs it tells the server it is alive and
 * what it sees of the phone, so the merchant hears `device.offline` when the laptop sleeps or
 * the tail stops, not hours later when a customer complains.
 */
import type {ServerTarget} from './spool.js'

export type PhoneState = 'ready' | 'locked' | 'unauthorized' | 'offline' | 'unplugged' | 'no_device' | 'unknown'

export interface Heartbeat {
  name: string
  kind: 'tail'
  app_version: string | null
  phone: {state: PhoneState; detail: string | null}
}

/** `…/api/sms` → `…/api/devices/heartbeat`, `…/admin/sms` → `…/admin/devices/heartbeat`. */
export function heartbeatUrl(target: Pick<ServerTarget, 'endpoint'>): string {
  return target.endpoint.replace(/\/sms$/, '/devices/heartbeat')
}

export type HeartbeatResult = {ok: true} | {ok: false; status: number | null; message: string}

export async function postHeartbeat(target: ServerTarget, hb: Heartbeat, signal?: AbortSignal): Promise<HeartbeatResult> {
  const timeout = AbortSignal.timeout(target.timeoutMs ?? 15_000)
  const send = async (t: ServerTarget): Promise<HeartbeatResult> => {
    let res: Response
    try {
      res = await fetch(heartbeatUrl(t), {
        method: 'POST',
        headers: {'content-type': 'application/json', authorization: `Bearer ${t.token}`},
        body: JSON.stringify(t.extra?.store_id ? {...hb, store_id: t.extra.store_id} : hb),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      })
    } catch (error) {
      const cause = (error as {cause?: {code?: string; message?: string}}).cause
      return {ok: false, status: null, message: `${t.label} is not reachable (${cause?.code ?? cause?.message ?? (error as Error).message})`}
    }
    const text = await res.text().catch(() => '')
    if (res.ok) return {ok: true}
    let msg = text.slice(0, 200)
    try {
      msg = String((JSON.parse(text) as {message?: unknown}).message ?? msg)
    } catch {
      // Not JSON: the text will do.
    }
    // An older server has no heartbeat endpoint: the SMS still go through.
    if (res.status === 404) msg = `${t.label} does not take heartbeats (an older vcash?); SMS are still delivered`
    return {ok: false, status: res.status, message: `HTTP ${res.status}: ${msg}`}
  }
  const first = await send(target)
  if (first.ok || !target.refresh || (first.status !== null && first.status !== 401)) return first
  // The local server restarted (new admin token) or is not running.
  const fresh = target.refresh()
  if (!fresh) return first
  Object.assign(target, {endpoint: fresh.endpoint, token: fresh.token, label: fresh.label})
  return send(target)
}

/** adb shell: whether the phone's screen is locked (Android 8+ prints these in deviceidle). */
export const LOCK_PROBE = "dumpsys deviceidle | grep -E 'mScreenLocked|mScreenOn'"

export function readLockProbe(out: string): boolean | null {
  const m = /mScreenLocked=(true|false)/.exec(out)
  return m ? m[1] === 'true' : null
}

export const LOCKED_HINT =
  'Unlock it once after every restart: until then Android keeps the SMS inbox closed to USB debugging. ' +
  'To keep it readable, set the screen lock to None or Swipe on the wallet phone, or turn on Developer options > "Stay awake" while it charges.'
