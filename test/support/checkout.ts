/**
 * A store ready for the checkout page: a real server on loopback with receiving wallets, a
 * merchant site on loopback that takes webhooks and the customer's return, and helpers to create
 * intents and claim them the way the page does.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import type {StoreSettingsInput} from '../../src/core/store-settings.js'
import {until} from './until.js'
import {startServer, type TestServer, VF_R1} from './vcash.js'

export interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * The merchant's site: records every request (webhooks, the customer coming back) and answers 200.
 * `pages` are served as HTML at their paths; `/thanks` checks the signed result with `verify` when
 * given, as a merchant's return page must ("Payment verified", or 400 "Bad signature").
 */
export async function merchantSite(opts: {pages?: Record<string, string>; verify?: (query: string) => boolean} = {}): Promise<{url: string; seen: Seen[]; close(): Promise<void>}> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({method: req.method!, url: req.url!, headers: req.headers, body})
      const path = req.url!.split('?')[0]!
      const html = (status: number, text: string) => res.writeHead(status, {'content-type': 'text/html; charset=utf-8'}).end(text)
      if (req.method !== 'GET') res.writeHead(200, {'content-type': 'application/json'}).end('{}')
      else if (opts.pages?.[path]) html(200, opts.pages[path]!)
      else if (path === '/thanks' && opts.verify) {
        const ok = opts.verify(req.url!.split('?')[1] ?? '')
        html(ok ? 200 : 400, `<!doctype html><title>Shop</title><h1>${ok ? 'Payment verified' : 'Bad signature'}</h1>`)
      } else html(200, '<!doctype html><title>Thanks</title><h1>Back at the shop</h1>')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => {
      server.closeAllConnections()
      server.close(() => r())
    }),
  }
}

export const PAY_TO = [{provider: 'vodafone_cash' as const, wallet: '01000000002'}, {provider: 'instapay' as const, wallet: 'shop@instapay'}]

export interface CheckoutServer extends TestServer {
  /** POST /api/intents with the store token. */
  createIntent(body: Record<string, unknown>): Promise<{status: number; json: Record<string, unknown>}>
  api(method: string, path: string, body?: unknown): Promise<{status: number; json: Record<string, unknown>}>
  /** A transfer's receipt SMS, as the phone posts it. */
  receive(phone: string, amount: string, ref?: string): Promise<{status: number; json: Record<string, unknown>}>
  /** The claim form's token, read from the page as a browser would. */
  csrf(intentId: string): Promise<string>
  claim(intentId: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response>
  update(patch: Partial<StoreSettingsInput>): Promise<void>
}

export async function startCheckout(opts: {webhook?: string; name?: string} = {}): Promise<CheckoutServer> {
  const t = await startServer({dispatcher: {scheduleMs: [0, 50, 50, 50, 50, 50, 50, 50], pollMs: 20}})
  const update = async (patch: Partial<StoreSettingsInput>) => {
    await t.server.local.service.updateStore(t.storeId, patch)
  }
  await update({name: opts.name ?? 'Nile Books', payTo: PAY_TO, ...(opts.webhook ? {callback: {kind: 'webhook', url: opts.webhook}} : {})})
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {method, headers: {authorization: `Bearer ${t.apiToken}`, 'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)})
    return {status: res.status, json: (await res.json()) as Record<string, unknown>}
  }
  let refs = 0
  return {
    ...t,
    update,
    api,
    createIntent: (body) => api('POST', '/api/intents', body),
    receive: async (phone, amount, ref) => {
      const res = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1(phone, amount, ref ?? `01914${String(++refs).padStart(6, '0')}`)})})
      return {status: res.status, json: (await res.json()) as Record<string, unknown>}
    },
    csrf: async (intentId) => {
      const html = await (await fetch(`${t.url}/pay/${intentId}?lang=en`)).text()
      const m = /name="csrf" value="([^"]+)"/.exec(html)
      if (!m) throw new Error(`no claim form on the page of ${intentId}`)
      return m[1]!
    },
    claim: async (intentId, fields, headers = {}) => fetch(`${t.url}/pay/${intentId}/claim?lang=en`, {
      method: 'POST',
      redirect: 'manual',
      headers: {accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers},
      body: new URLSearchParams(fields).toString(),
    }),
  }
}

/** Wait until `probe` returns something truthy (a delivery is asynchronous). */
export function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  return until('the probe to answer', probe, timeoutMs, 25) as Promise<NonNullable<T>>
}
