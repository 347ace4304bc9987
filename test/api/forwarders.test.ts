import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {signHttpSmsToken, signSmsGateway} from '../../src/server/forwarders.js'
import {startServer, type TestServer, VF_R1} from '../support/vcash.js'

let t: TestServer
const KEY = 'gateway-signing-key-1234'
beforeAll(async () => {
  t = await startServer()
})
afterAll(async () => {
  await t.close()
})

function smsGatewayBody(message: string, messageId: string): string {
  return JSON.stringify({deviceId: 'ffffffffceb0b1db0000018e937c815b', event: 'sms:received', id: messageId, payload: {messageId, message, phoneNumber: 'VF-Cash', simNumber: 1, receivedAt: '2026-11-20T15:46:11.000+02:00'}, webhookId: 'LreFUt-Z3sSq0JufY9uWB'})
}

function httpSmsBody(content: string, id: string): string {
  return JSON.stringify({data: {contact: 'VF-Cash', content, message_id: id, owner: '+201000000007', sim: 'SIM1', timestamp: '2026-11-20T03:21:19.814Z', user_id: 'u1'}, datacontenttype: 'application/json', id, source: '/v1/messages/receive', specversion: '1.0', time: '2026-11-20T03:21:19.524331882Z', type: 'message.phone.received'})
}

describe('forwarder app webhooks on a real server', () => {
  it('SMS Gateway for Android: needs the store key, verifies X-Signature, dedupes by fingerprint not its ids', async () => {
    const url = `${t.url}/api/sms/smsgateway?token=${t.deviceToken}`
    const body = smsGatewayBody(VF_R1('01012345678', '120', '019146650101'), 'm1')
    const sig = signSmsGateway(body, KEY, Math.floor(Date.now() / 1000))
    const noKey = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...sig}, body})
    expect(noKey.status).toBe(409)
    expect(((await noKey.json()) as {code: string}).code).toBe('forwarder_key_missing')

    await t.server.local.service.updateStore(t.storeId, {forwarderSigningKey: KEY})
    const ok = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...sig}, body})
    expect(ok.status).toBe(201)
    // The app re-delivers with a new id: same SMS, so a duplicate.
    const again = smsGatewayBody(VF_R1('01012345678', '120', '019146650101'), 'm2')
    const re = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...signSmsGateway(again, KEY, Math.floor(Date.now() / 1000))}, body: again})
    expect(re.status).toBe(200)

    const bad = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...signSmsGateway(body, 'another-key-000', Math.floor(Date.now() / 1000))}, body})
    expect(bad.status).toBe(401)
    expect(((await bad.json()) as {code: string}).code).toBe('invalid_signature')
    const noToken = await fetch(`${t.url}/api/sms/smsgateway`, {method: 'POST', headers: {'content-type': 'application/json', ...sig}, body})
    expect(noToken.status).toBe(401)
  })

  it('httpSMS: message.phone.received with its JWT when the store has a key', async () => {
    const url = `${t.url}/api/sms/httpsms?token=${t.deviceToken}`
    const body = httpSmsBody(VF_R1('01012345679', '130', '019146650102'), 'e1')
    const jwt = await signHttpSmsToken(KEY, {aud: url})
    const ok = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${jwt}`, 'x-event-type': 'message.phone.received'}, body})
    expect(ok.status).toBe(201)
    const json = (await ok.json()) as {transaction: {amount: string; sender_phone: string}}
    expect(json.transaction).toMatchObject({amount: '130.00', sender_phone: '01012345679'})
    const forged = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${await signHttpSmsToken('wrong-key-0000', {aud: url})}`}, body})
    expect(forged.status).toBe(401)
    const junk = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${jwt}`}, body: '{"type":"message.phone.sent"}'})
    expect(junk.status).toBe(400)
  })

  it('httpSMS: the JWT audience must be this webhook URL (a token minted for another URL is refused)', async () => {
    await t.server.local.service.updateStore(t.storeId, {forwarderSigningKey: KEY})
    const url = `${t.url}/api/sms/httpsms?token=${t.deviceToken}`
    const body = httpSmsBody(VF_R1('01012345670', '140', '019146650103'), 'e2')
    const headers = (aud: string) => signHttpSmsToken(KEY, {aud}).then((jwt) => ({'content-type': 'application/json', authorization: `Bearer ${jwt}`}))
    // Signed with the right key for another vcash (or another store's URL): replayable here before aud was checked.
    const elsewhere = await fetch(url, {method: 'POST', headers: await headers(`https://other.example/api/sms/httpsms?token=${t.deviceToken}`), body})
    expect(elsewhere.status).toBe(401)
    expect(((await elsewhere.json()) as {message: string}).message).toMatch(/another URL/)
    const otherToken = await fetch(url, {method: 'POST', headers: await headers(`${t.url}/api/sms/httpsms?token=vd_someone_else`), body})
    expect(otherToken.status).toBe(401)
    const right = await fetch(url, {method: 'POST', headers: await headers(url), body})
    expect(right.status).toBe(201)
  })

  it('httpSMS behind a trusted proxy: the audience is the public https URL httpSMS was given', async () => {
    const behind = await startServer({trustProxy: '127.0.0.1'})
    try {
      await behind.server.local.service.updateStore(behind.storeId, {forwarderSigningKey: KEY})
      const path = `/api/sms/httpsms?token=${behind.deviceToken}`
      const body = httpSmsBody(VF_R1('01012345671', '150', '019146650104'), 'e3')
      const jwt = await signHttpSmsToken(KEY, {aud: `https://pay.example.com${path}`})
      const proxied = {'content-type': 'application/json', authorization: `Bearer ${jwt}`, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'pay.example.com', 'x-forwarded-for': '198.51.100.7'}
      const ok = await fetch(`${behind.url}${path}`, {method: 'POST', headers: proxied, body})
      expect(ok.status).toBe(201)
      // The same headers from a peer that is not the trusted proxy are not believed.
      const untrusted = await startServer({trustProxy: '10.9.9.9'})
      try {
        await untrusted.server.local.service.updateStore(untrusted.storeId, {forwarderSigningKey: KEY})
        const p2 = `/api/sms/httpsms?token=${untrusted.deviceToken}`
        const jwt2 = await signHttpSmsToken(KEY, {aud: `https://pay.example.com${p2}`})
        const no = await fetch(`${untrusted.url}${p2}`, {method: 'POST', headers: {...proxied, authorization: `Bearer ${jwt2}`}, body})
        expect(no.status).toBe(401)
      } finally {
        await untrusted.close()
      }
    } finally {
      await behind.close()
    }
  })
})
