import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startServer, type TestServer} from '../support/vcash.js'

let t: TestServer
beforeAll(async () => {
  t = await startServer()
})
afterAll(async () => {
  await t.close()
})

interface Case {
  name: string
  method?: string
  path: (t: TestServer) => string
  headers?: (t: TestServer) => Record<string, string>
  body?: string
  status: number
  code: string
}

const json = {'content-type': 'application/json'}
const dev = (t: TestServer) => ({...json, authorization: `Bearer ${t.deviceToken}`})
const api = (t: TestServer) => ({authorization: `Bearer ${t.apiToken}`})

const cases: Case[] = [
  // payment_link_check
  {name: 'check without parameters', path: () => '/api/payment_link_check', status: 400, code: 'invalid_input'},
  {name: 'check without store', path: () => '/api/payment_link_check?phone=01012345678&amount=10', status: 400, code: 'invalid_input'},
  {name: 'check unknown store', path: () => '/api/payment_link_check?phone=01012345678&amount=10&store_id=st_nope', status: 404, code: 'store_not_found'},
  {name: 'check bad phone', path: (t) => `/api/payment_link_check?phone=12345&amount=10&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check negative amount', path: (t) => `/api/payment_link_check?phone=01012345678&amount=-5&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check exponent amount', path: (t) => `/api/payment_link_check?phone=01012345678&amount=1e3&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check three decimals', path: (t) => `/api/payment_link_check?phone=01012345678&amount=1.234&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check zero amount', path: (t) => `/api/payment_link_check?phone=01012345678&amount=0&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check repeated parameter', path: (t) => `/api/payment_link_check?phone=01012345678&phone=01012345679&amount=1&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check huge amount', path: (t) => `/api/payment_link_check?phone=01012345678&amount=${'9'.repeat(25)}&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  {name: 'check broken percent-encoding', path: (t) => `/api/payment_link_check?phone=%E0%A4%A&amount=1&store_id=${t.storeId}`, status: 400, code: 'invalid_input'},
  // POST /api/sms
  {name: 'sms without token', method: 'POST', path: () => '/api/sms', headers: () => json, body: '{"sender":"VF-Cash","body":"x"}', status: 401, code: 'unauthorized'},
  {name: 'sms wrong token', method: 'POST', path: () => '/api/sms', headers: () => ({...json, authorization: 'Bearer vd_wrong'}), body: '{"sender":"VF-Cash","body":"x"}', status: 401, code: 'unauthorized'},
  {name: 'sms with API token instead of device token', method: 'POST', path: () => '/api/sms', headers: (t) => ({...json, ...api(t)}), body: '{"sender":"VF-Cash","body":"x"}', status: 401, code: 'unauthorized'},
  {name: 'sms not JSON', method: 'POST', path: () => '/api/sms', headers: dev, body: '{"sender":', status: 400, code: 'invalid_json'},
  {name: 'sms wrong content type', method: 'POST', path: () => '/api/sms', headers: (t) => ({authorization: `Bearer ${t.deviceToken}`, 'content-type': 'text/plain'}), body: 'hello', status: 415, code: 'unsupported_media_type'},
  {name: 'sms missing body', method: 'POST', path: () => '/api/sms', headers: dev, body: '{"sender":"VF-Cash"}', status: 400, code: 'invalid_input'},
  {name: 'sms empty sender', method: 'POST', path: () => '/api/sms', headers: dev, body: '{"sender":"","body":"x"}', status: 400, code: 'invalid_input'},
  {name: 'sms body is a number', method: 'POST', path: () => '/api/sms', headers: dev, body: '{"sender":"VF-Cash","body":5}', status: 400, code: 'invalid_input'},
  {name: 'sms bad received_at', method: 'POST', path: () => '/api/sms', headers: dev, body: '{"sender":"VF-Cash","body":"x","received_at":"yesterday"}', status: 400, code: 'invalid_input'},
  {name: 'sms unknown field', method: 'POST', path: () => '/api/sms', headers: dev, body: '{"sender":"VF-Cash","body":"x","amount":5}', status: 400, code: 'invalid_input'},
  {name: 'sms JSON array', method: 'POST', path: () => '/api/sms', headers: dev, body: '[]', status: 400, code: 'invalid_input'},
  {name: 'sms JSON null', method: 'POST', path: () => '/api/sms', headers: dev, body: 'null', status: 400, code: 'invalid_input'},
  {name: 'sms too large', method: 'POST', path: () => '/api/sms', headers: dev, body: JSON.stringify({sender: 'VF-Cash', body: 'x'.repeat(70_000)}), status: 413, code: 'payload_too_large'},
  // rate
  {name: 'rate unknown store', path: () => '/api/public/store/st_nope/rate', status: 404, code: 'store_not_found'},
  // transactions
  {name: 'transactions without token', path: () => '/api/transactions', status: 401, code: 'unauthorized'},
  {name: 'transactions with device token', path: () => '/api/transactions', headers: (t) => ({authorization: `Bearer ${t.deviceToken}`}), status: 401, code: 'unauthorized'},
  {name: 'transactions bad status', path: () => '/api/transactions?status=PAID', headers: api, status: 400, code: 'invalid_input'},
  {name: 'transactions bad since', path: () => '/api/transactions?since=last-week', headers: api, status: 400, code: 'invalid_input'},
  {name: 'transactions bad limit', path: () => '/api/transactions?limit=100000', headers: api, status: 400, code: 'invalid_input'},
  {name: 'transactions bad phone', path: () => '/api/transactions?phone=abc', headers: api, status: 400, code: 'invalid_input'},
  {name: 'transaction unknown id', path: () => '/api/transactions/tx_nope', headers: api, status: 404, code: 'transaction_not_found'},
  {name: 'transaction without token', path: () => '/api/transactions/tx_nope', status: 401, code: 'unauthorized'},
  {name: 'approve unknown', method: 'POST', path: () => '/api/transactions/tx_nope/approve', headers: api, status: 404, code: 'transaction_not_found'},
  {name: 'reject unknown', method: 'POST', path: () => '/api/transactions/tx_nope/reject', headers: (t) => ({...api(t), ...json}), body: '{"reason":"x"}', status: 404, code: 'transaction_not_found'},
  {name: 'reject bad body', method: 'POST', path: () => '/api/transactions/tx_nope/reject', headers: (t) => ({...api(t), ...json}), body: '{"reason":5}', status: 400, code: 'invalid_input'},
  {name: 'reject broken JSON', method: 'POST', path: () => '/api/transactions/tx_nope/reject', headers: (t) => ({...api(t), ...json}), body: '{', status: 400, code: 'invalid_json'},
  {name: 'unknown decision', method: 'POST', path: () => '/api/transactions/tx_nope/cancel', headers: api, status: 404, code: 'not_found'},
  // admin and unknown
  {name: 'admin without token', path: () => '/admin/stores', status: 401, code: 'unauthorized'},
  {name: 'admin wrong token', path: () => '/admin/stores', headers: () => ({authorization: 'Bearer nope'}), status: 401, code: 'unauthorized'},
  {name: 'unknown path', path: () => '/api/nothing', status: 404, code: 'not_found'},
  {name: 'wrong method on check', method: 'POST', path: () => '/api/payment_link_check', status: 404, code: 'not_found'},
]

describe('bad input gets a 4xx JSON error with a stable code, never a 5xx', () => {
  it.each(cases)('$name → $status $code', async (c) => {
    const res = await fetch(t.url + c.path(t), {method: c.method ?? 'GET', headers: c.headers?.(t), body: c.body})
    expect(res.status).toBe(c.status)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({status: false, code: c.code})
    expect(typeof body.message).toBe('string')
    // Nothing in an error echoes a secret.
    expect(JSON.stringify(body)).not.toContain(t.apiToken)
    expect(JSON.stringify(body)).not.toContain(t.deviceToken)
  })

  it('serves the rate with open CORS and the OpenAPI document', async () => {
    const rate = await fetch(`${t.url}/api/public/store/${t.storeId}/rate`, {headers: {origin: 'https://billing.example.com'}})
    expect(rate.headers.get('access-control-allow-origin')).toBe('*')
    expect(await rate.json()).toEqual({status: true, rate: '1', currency_label: 'EGP'})
    const pre = await fetch(`${t.url}/api/public/store/${t.storeId}/rate`, {method: 'OPTIONS'})
    expect(pre.status).toBe(204)
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {paths: Record<string, unknown>}
    for (const p of ['/api/payment_link_check', '/api/sms', '/api/public/store/{storeId}/rate', '/api/transactions', '/api/transactions/{id}', '/api/transactions/{id}/approve', '/api/transactions/{id}/reject', '/healthz', '/metrics']) {
      expect(doc.paths).toHaveProperty([p])
    }
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toContain('vcash_checks_total')
    expect(metrics).toContain('vcash_transactions_stored')
    expect((await (await fetch(`${t.url}/healthz`)).json())).toMatchObject({status: true, ok: true})
  })
})
