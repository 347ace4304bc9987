import type {IncomingMessage, ServerResponse} from 'node:http'

import ipaddr from 'ipaddr.js'
import proxyAddr from 'proxy-addr'

import {BugError, VcashError} from '../core/errors.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), ...headers})
  res.end(data)
}

/** The error shape of contract §2. Never echoes a secret; 5xx hide internals. */
export function errorBody(error: unknown): {status: number; body: Record<string, unknown>; headers?: Record<string, string>} {
  if (error instanceof VcashError) {
    const body: Record<string, unknown> = {status: false, code: error.code, message: error.message}
    if (error.errors) body.errors = error.errors
    if (error.suggestion) body.suggestion = error.suggestion
    // A full disk or a locked ledger passes: tell well-behaved clients (forwarders, WHMCS) when to retry.
    return {status: error.http, body, headers: error.http === 503 ? {'retry-after': '30'} : undefined}
  }
  const e = error as {type?: string; status?: number; statusCode?: number}
  if (e?.type === 'entity.parse.failed') return {status: 400, body: {status: false, code: 'invalid_json', message: 'request body is not valid JSON'}}
  if (e?.type === 'entity.too.large') return {status: 413, body: {status: false, code: 'payload_too_large', message: 'request body is too large'}}
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return {status: 415, body: {status: false, code: 'unsupported_encoding', message: 'send UTF-8 JSON'}}
  const s = e?.status ?? e?.statusCode
  if (typeof s === 'number' && s >= 400 && s < 500) return {status: s, body: {status: false, code: 'bad_request', message: 'bad request'}}
  return {status: 500, body: {status: false, code: error instanceof BugError ? error.code : 'internal_error', message: 'internal error'}}
}

export function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization
  if (!h) return null
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h)
  return m ? m[1]! : null
}

export interface AddressRanges {
  ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][]
}

/** A store's allowlist (IPs and CIDRs). */
export function parseAddressRanges(list: string[]): AddressRanges {
  return {ranges: list.filter(Boolean).map((s) => (s.includes('/') ? ipaddr.parseCIDR(s) : ((a) => [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])(ipaddr.parse(s))))}
}

const ipCache = new Map<string, string>()

/** Canonical text of an address (IPv4-mapped IPv6 as IPv4). Cached: peers repeat. */
export function normaliseIp(ip: string): string {
  const hit = ipCache.get(ip)
  if (hit !== undefined) return hit
  const out = canonicalIp(ip)
  if (ipCache.size > 10_000) ipCache.clear()
  ipCache.set(ip, out)
  return out
}

function canonicalIp(ip: string): string {
  try {
    const a = ipaddr.parse(ip)
    if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address().toString()
    return a.toString()
  } catch {
    return ip
  }
}

export function ipInList(ip: string, ranges: AddressRanges['ranges']): boolean {
  if (ranges.length === 0) return false
  let a: ipaddr.IPv4 | ipaddr.IPv6
  try {
    a = ipaddr.parse(normaliseIp(ip))
  } catch {
    return false
  }
  return ranges.some(([range, bits]) => a.kind() === range.kind() && a.match(range, bits))
}

/** Which peers may speak for a client (X-Forwarded-For): proxy-addr's compiled trust, the very function express uses for req.ip. */
export type TrustProxy = (addr: string, hop: number) => boolean

/**
 * `--trust-proxy` / `VCASH_TRUST_PROXY` in any form they arrive in (a list, one comma-separated
 * string, or a list of such strings) compiled by proxy-addr: IPs, CIDRs, and its names
 * `loopback`, `linklocal`, `uniquelocal`. Throws on anything else.
 */
export function compileTrust(list: string | readonly string[]): TrustProxy {
  const items = (typeof list === 'string' ? [list] : [...list]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean)
  return proxyAddr.compile(items)
}

/**
 * The client's address, by proxy-addr: X-Forwarded-For is believed only from a trusted peer,
 * and only up to the first hop that isn't trusted. express's req.ip is the same answer.
 */
export function clientIp(req: IncomingMessage, trust: TrustProxy): string {
  return normaliseIp(proxyAddr(req, trust))
}

/** A request that came through a proxy says so: any of these headers means "not a local tool". */
export function isForwarded(req: IncomingMessage): boolean {
  for (const name of Object.keys(req.headers)) {
    if (name === 'forwarded' || name === 'x-real-ip' || name === 'via' || name.startsWith('x-forwarded-')) return true
  }
  return false
}

/**
 * A local tool on this machine: a loopback peer that is not a proxy relaying someone else (a
 * reverse proxy on the same host is a loopback peer too, so forwarding headers disqualify).
 */
export function isDirectLoopback(req: IncomingMessage): boolean {
  return isLoopback(req.socket.remoteAddress ?? '') && !isForwarded(req)
}

export function isLoopback(ip: string): boolean {
  try {
    return ipaddr.parse(normaliseIp(ip)).range() === 'loopback'
  } catch {
    return false
  }
}

/** Read a request body with a size cap. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        reject(new VcashError('payload_too_large', `request body is larger than ${limit} bytes`, {http: 413}))
        req.resume()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
