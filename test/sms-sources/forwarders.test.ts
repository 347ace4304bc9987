import {describe, expect, it} from 'vitest'

import {VcashError} from '../../src/core/errors.js'
import {fromHttpSms, fromSmsGateway, signHttpSmsToken, signSmsGateway} from '../../src/server/forwarders.js'

const KEY = 'sg_signing_key_from_the_app'
const BODY_TEXT = 'تم استلام مبلغ 400.00 جنيه من 01000000006؛\nالمسجل بإسم Samy, "Sam" Sample\nرقم العملية: 022304890518'

/** The payload shape from SMS Gateway for Android's webhook docs (sms:received). */
function smsGatewayPayload(message = BODY_TEXT): Buffer {
  return Buffer.from(
    JSON.stringify({
      deviceId: 'ffffffffceb0b1db0000018e937c815b',
      event: 'sms:received',
      id: 'Ey6ECgOkVVFjz3CL48B8C',
      payload: {messageId: 'abc123', message, phoneNumber: 'VF-Cash', simNumber: 1, receivedAt: '2024-06-22T15:46:11.000+07:00'},
      webhookId: 'LreFUt-Z3sSq0JufY9uWB',
    }),
  )
}

/** The CloudEvents envelope httpSMS posts for message.phone.received (its docs' example shape). */
function httpSmsPayload(extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      data: {
        contact: 'VF-Cash',
        content: BODY_TEXT,
        message_id: '0b0123bb-ef2e-468f-908a-c026d51636aa',
        owner: '+201000000007',
        sim: 'SIM1',
        timestamp: '2023-06-29T03:21:19.814Z',
        user_id: 'XtABz6zdeFMoBLoltz6SREDvRSh2',
        ...extra,
      },
      datacontenttype: 'application/json',
      id: 'f4aed1d3-ab4f-42b9-b9dd-9fc7182f7197',
      source: '/v1/messages/receive',
      specversion: '1.0',
      time: '2023-06-29T03:21:19.524331882Z',
      type: 'message.phone.received',
    }),
  )
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(VcashError)
    return `${(error as VcashError).code}/${(error as VcashError).http}`
  }
  return 'no error'
}

function code(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(VcashError)
    return `${(error as VcashError).code}/${(error as VcashError).http}`
  }
  return 'no error'
}

describe('SMS Gateway for Android adapter', () => {
  const now = Date.parse('2026-04-13T20:00:00Z')
  const ts = Math.floor(now / 1000)

  it('accepts its real payload signed over body + timestamp', () => {
    const raw = smsGatewayPayload()
    const headers = {'x-signature': signSmsGateway(raw, KEY, ts)['X-Signature'], 'x-timestamp': String(ts)}
    expect(fromSmsGateway(raw, headers, KEY, {now})).toEqual({sender: 'VF-Cash', body: BODY_TEXT, receivedAt: '2024-06-22T08:46:11.000Z', device: 'ffffffffceb0b1db0000018e937c815b'})
  })

  it('matches the documented algorithm byte for byte (hex HMAC-SHA256 of body then timestamp)', async () => {
    const {createHmac} = await import('node:crypto')
    const raw = smsGatewayPayload()
    const sig = createHmac('sha256', KEY).update(raw.toString('utf8') + String(ts)).digest('hex')
    expect(fromSmsGateway(raw, new Headers({'X-Signature': sig, 'X-Timestamp': String(ts)}), KEY, {now}).sender).toBe('VF-Cash')
  })

  it('rejects a bad signature, a changed body, a stale timestamp and missing headers', () => {
    const raw = smsGatewayPayload()
    const good = signSmsGateway(raw, KEY, ts)
    expect(code(() => fromSmsGateway(raw, {'x-signature': good['X-Signature'], 'x-timestamp': String(ts)}, 'another key', {now}))).toBe('invalid_signature/401')
    expect(code(() => fromSmsGateway(smsGatewayPayload('تم استلام مبلغ 9400 جنيه'), {'x-signature': good['X-Signature'], 'x-timestamp': String(ts)}, KEY, {now}))).toBe('invalid_signature/401')
    const old = signSmsGateway(raw, KEY, ts - 3600)
    expect(code(() => fromSmsGateway(raw, {'x-signature': old['X-Signature'], 'x-timestamp': String(ts - 3600)}, KEY, {now}))).toBe('invalid_signature/401')
    expect(code(() => fromSmsGateway(raw, {}, KEY, {now}))).toBe('invalid_signature/401')
  })

  it('rejects other events and malformed payloads as invalid_payload', () => {
    const raw = Buffer.from(JSON.stringify({event: 'sms:sent', payload: {messageId: 'x', phoneNumber: '1'}}))
    const h = signSmsGateway(raw, KEY, ts)
    expect(code(() => fromSmsGateway(raw, {'x-signature': h['X-Signature'], 'x-timestamp': h['X-Timestamp']}, KEY, {now}))).toBe('invalid_payload/400')
    const junk = Buffer.from('not json')
    const hj = signSmsGateway(junk, KEY, ts)
    expect(code(() => fromSmsGateway(junk, {'x-signature': hj['X-Signature'], 'x-timestamp': hj['X-Timestamp']}, KEY, {now}))).toBe('invalid_payload/400')
  })
})

describe('httpSMS adapter', () => {
  const url = 'https://pay.example.com/api/sms/httpsms'
  const now = Date.parse('2026-04-13T20:00:00Z')

  it('accepts its message.phone.received event', async () => {
    expect(await fromHttpSms(httpSmsPayload(), {'x-event-type': 'message.phone.received'})).toEqual({sender: 'VF-Cash', body: BODY_TEXT, receivedAt: '2023-06-29T03:21:19.814Z', device: '+201000000007'})
  })

  it('verifies the Bearer JWT when a signing key is configured', async () => {
    const token = await signHttpSmsToken('hs_key', {aud: url, now})
    const out = await fromHttpSms(httpSmsPayload(), {authorization: `Bearer ${token}`}, {signingKey: 'hs_key', url, now})
    expect(out.sender).toBe('VF-Cash')
  })

  it('rejects a bad signature, a missing token, another audience, an expired token and alg tricks', async () => {
    const token = await signHttpSmsToken('hs_key', {aud: url, now})
    expect(await codeOf(fromHttpSms(httpSmsPayload(), {authorization: `Bearer ${token}`}, {signingKey: 'other', url, now}))).toBe('invalid_signature/401')
    expect(await codeOf(fromHttpSms(httpSmsPayload(), {}, {signingKey: 'hs_key', url, now}))).toBe('invalid_signature/401')
    expect(await codeOf(fromHttpSms(httpSmsPayload(), {authorization: `Bearer ${token}`}, {signingKey: 'hs_key', url: 'https://evil.example/x', now}))).toBe('invalid_signature/401')
    expect(await codeOf(fromHttpSms(httpSmsPayload(), {authorization: `Bearer ${token}`}, {signingKey: 'hs_key', url, now: now + 3_600_000}))).toBe('invalid_signature/401')
    const [, p] = token.split('.')
    const none = `${Buffer.from(JSON.stringify({alg: 'none', typ: 'JWT'})).toString('base64url')}.${p}.x`
    expect(await codeOf(fromHttpSms(httpSmsPayload(), {authorization: `Bearer ${none}`}, {signingKey: 'hs_key', url, now}))).toBe('invalid_signature/401')
  })

  it('rejects other events and encrypted content', async () => {
    const sent = Buffer.from(JSON.stringify({type: 'message.phone.sent', data: {contact: 'x', content: 'y'}}))
    expect(await codeOf(fromHttpSms(sent, {}))).toBe('invalid_payload/400')
    expect(await codeOf(fromHttpSms(httpSmsPayload({encrypted: true}), {}))).toBe('invalid_payload/400')
    expect(await codeOf(fromHttpSms(Buffer.from('[]'), {}))).toBe('invalid_payload/400')
  })
})
