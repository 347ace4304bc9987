import dns from 'node:dns/promises'
import net from 'node:net'

import ipaddr from 'ipaddr.js'

import {VcashError} from '../core/errors.js'

export type Lookup = (host: string) => Promise<{address: string; family: number}[]>

const defaultLookup: Lookup = (host) => dns.lookup(host, {all: true, verbatim: true})

/**
 * Where a delivery may go. In production only https to public unicast addresses — checked
 * on the resolved IPs, not the hostname, and the request is pinned to the address we
 * checked so a DNS answer that changes in between (rebinding) can't redirect it.
 */
export async function resolveTarget(raw: string, opts: {production: boolean; lookup?: Lookup}): Promise<{url: URL; address: string; family: number}> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new VcashError('unsafe_url', `"${raw}" is not a URL`, {http: 400})
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new VcashError('unsafe_url', `${url.protocol} URLs are not allowed`, {http: 400})
  if (opts.production && url.protocol !== 'https:') {
    throw new VcashError('unsafe_url', `production mode delivers only to https URLs, not ${url.origin}`, {http: 400, suggestion: 'Use https, or run the store in development mode for local testing.'})
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const addrs = net.isIP(host) ? [{address: host, family: net.isIP(host)}] : await (opts.lookup ?? defaultLookup)(host).catch((error: Error) => {
    throw new VcashError('dns_failed', `cannot resolve ${host}: ${error.message}`, {http: 502})
  })
  if (addrs.length === 0) throw new VcashError('dns_failed', `cannot resolve ${host}`, {http: 502})
  if (opts.production) {
    for (const a of addrs) {
      const range = ipaddr.process(a.address).range()
      if (range !== 'unicast') {
        throw new VcashError('unsafe_url', `${host} resolves to ${a.address} (${range}); production mode delivers only to public addresses`, {http: 400, suggestion: 'Point the callback at your public site, or use development mode for local testing.'})
      }
    }
  }
  return {url, address: addrs[0]!.address, family: addrs[0]!.family}
}
