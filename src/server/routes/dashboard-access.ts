import type {IncomingMessage} from 'node:http'
import type {TLSSocket} from 'node:tls'

import {isForwarded, isLoopback, type TrustProxy} from '../http-util.js'

/**
 * Where the operator's dashboard answers (`vcash serve --dashboard`):
 * - `loopback` (default): only a browser on this machine talking to the server directly;
 * - `public`: also through the reverse proxy (sign-in still required);
 * - `off`: nowhere.
 * Anywhere else it is a plain 404, as if it did not exist.
 */
export const DASHBOARD_MODES = ['loopback', 'public', 'off'] as const
export type DashboardMode = (typeof DASHBOARD_MODES)[number]

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i

/**
 * Loopback means the TCP peer itself is on this machine. Forwarding headers never make a request
 * local; a request that carries them came through a proxy on this machine on someone else's
 * behalf, so it is refused too. The Host must name this machine, so a web page whose DNS name
 * was rebound to 127.0.0.1 cannot reach the dashboard from the operator's own browser.
 */
export function dashboardReachable(mode: DashboardMode, req: Pick<IncomingMessage, 'headers'> & {socket: {remoteAddress?: string}}): boolean {
  if (mode === 'off') return false
  if (mode === 'public') return true
  if (!isLoopback(req.socket.remoteAddress ?? '')) return false
  if (isForwarded(req as IncomingMessage)) return false
  return LOOPBACK_HOST.test(req.headers.host ?? '')
}

/** HTTPS to us, or to a proxy we trust that says so (X-Forwarded-Proto from anyone else is ignored). */
export function cameOverHttps(req: IncomingMessage, trust: TrustProxy): boolean {
  if ((req.socket as TLSSocket).encrypted) return true
  if (!trust(req.socket.remoteAddress ?? '', 0)) return false
  const proto = req.headers['x-forwarded-proto']
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() === 'https'
}
