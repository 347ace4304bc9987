/**
 * Two `vcash serve` processes on one PostgreSQL behave as one: failed-check limits and anti-spam
 * counts are kept in the database, and a commit on one (or by a CLI command) wakes the other's
 * outbox and reaches its `vcash listen` stream at once (LISTEN/NOTIFY).
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {afterAll, describe, expect, inject, it} from 'vitest'

import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {until} from '../support/until.js'
import {BIN, check, cliEnv, postSms, realTool, runCli, stoppedAfterEach, tempDir, VF_R1} from '../support/vcash.js'

const adminUrl = inject('pgUrl')
const available = realTool('PostgreSQL (Debian postgresql, or VCASH_TEST_DATABASE_URL)', adminUrl !== '')

const {children, servers, serveOn} = stoppedAfterEach()

/** A receiver that notes when each request arrived. */
async function catcher(): Promise<{url: string; got: {at: number; path: string; body: string}[]}> {
  const got: {at: number; path: string; body: string}[] = []
  const s = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      got.push({at: Date.now(), path: req.url ?? '', body})
      res.end('ok')
    })
  })
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return {url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, got}
}

describe.skipIf(!available)('two vcash instances on one PostgreSQL act as one', () => {
  afterAll(() => dropDatabases(adminUrl))

  it('failed checks split across both instances: anti-spam holds the claim, and the limit answers 429 on either', async () => {
    const url = await tempDatabase(adminUrl)
    const a = await serveOn(url, ['--failed-check-limit', '6'])
    const store = a.ready.dev_store!
    const b = await serveOn(url, ['--failed-check-limit', '6'])
    const set = await runCli(['store', 'set', store.id, '--database-url', url, '--data-dir', tempDir(), '--anti-spam', '--hold-after-failed-checks', '3', '--no-hold-duplicates', '--json'])
    expect(set.code, set.stderr + set.stdout).toBe(0)
    const [ta, tb] = [a, b].map((c) => ({url: c.ready.url, storeId: store.id, deviceToken: store.device_token}))

    // Three wrong guesses for one phone, on A, B, A; then the transfer arrives and is claimed on B.
    for (const t of [ta, tb, ta]) expect((await check(t!, {phone: '01012345678', amount: '150', user_name: 'x'})).json.code).toBe('not_found')
    expect((await postSms(ta!, VF_R1('01012345678', '150', '019146600801'))).status).toBe(201)
    const held = await check(tb!, {phone: '01012345678', amount: '150', user_name: 'x'})
    expect(held.json).toMatchObject({status: false, code: 'awaiting_approval'})
    const shown = await runCli(['tx', 'show', String(held.json.transaction_id), '--database-url', url, '--data-dir', tempDir(), '--json'])
    expect(JSON.parse(shown.stdout)).toMatchObject({transaction: {status: 'AWAITING_APPROVAL', held_by: ['failed_checks']}})

    // Three more failures from this caller (other phones), on B, A, B: six in all, the limit.
    for (const [i, t] of [tb, ta, tb].entries()) expect((await check(t!, {phone: `0101111000${i}`, amount: '5', user_name: 'x'})).status).toBe(200)
    for (const t of [ta, tb]) {
      const r = await check(t!, {phone: '01099999999', amount: '5', user_name: 'x'})
      expect(r.status).toBe(429)
      expect(r.json).toMatchObject({status: false, code: 'rate_limited'})
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
    }
  }, 60_000)

  it('stores are cached on each instance, and a change by a CLI command reaches both within a second (rotated tokens stop working)', async () => {
    const url = await tempDatabase(adminUrl)
    const a = await serveOn(url)
    const store = a.ready.dev_store!
    const b = await serveOn(url)
    const [ta, tb] = [a, b].map((c) => ({url: c.ready.url, storeId: store.id, deviceToken: store.device_token}))
    // Both instances have read (and cached) the store by its device token and its id.
    for (const [i, t] of [ta!, tb!].entries()) {
      expect((await postSms(t, VF_R1('01055550000', String(10 + i), String(771_000_000 + i)))).status).toBe(201)
      expect((await check(t, {phone: '01055550000', amount: String(10 + i), user_name: 'x'})).json.status).toBe(true)
    }
    const set = await runCli(['store', 'set', store.id, '--database-url', url, '--data-dir', tempDir(), '--rotate-tokens', '--require-token', '--json'])
    expect(set.code, set.stderr + set.stdout).toBe(0)
    const fresh = (JSON.parse(set.stdout) as {device_token: string; token: string})
    for (const t of [ta!, tb!]) {
      const start = Date.now()
      let status = 0
      for (let n = 0; status !== 401 && Date.now() - start < 1000; n++) {
        status = (await postSms(t, VF_R1('01055550001', '12', String(772_000_000 + n)))).status
        if (status !== 401) await new Promise((r) => setTimeout(r, 20))
      }
      expect(status).toBe(401)
      // The new settings too: a check without the API token is refused now, and accepted with it.
      expect((await check(t, {phone: '01055550001', amount: '12', user_name: 'x'})).status).toBe(401)
      expect((await check(t, {phone: '01055550001', amount: '12', user_name: 'x', token: fresh.token})).status).toBe(200)
      expect((await postSms({...t, deviceToken: fresh.device_token}, VF_R1('01055550002', '13', String(773_000_000 + t.url.length)))).status).not.toBe(401)
    }
  }, 60_000)

  it('a commit on one instance, or by a CLI command, wakes the outbox at once though both poll only every minute, and reaches the other\'s vcash listen', async () => {
    const url = await tempDatabase(adminUrl)
    const site = await catcher()
    const local = await catcher()
    const dirB = tempDir()
    const a = await serveOn(url, ['--outbox-poll', '60'])
    const store = a.ready.dev_store!
    const b = await serveOn(url, ['--outbox-poll', '60'], dirB)
    const set = await runCli(['store', 'set', store.id, '--database-url', url, '--data-dir', tempDir(), '--callback', 'webhook', '--callback-url', `${site.url}/hook`, '--json'])
    expect(set.code, set.stderr + set.stdout).toBe(0)

    // `vcash listen` beside instance B: B's admin.json, B's /admin/events.
    const listen = spawn(process.execPath, [BIN, 'listen', '--data-dir', dirB, '--database-url', url, '--forward-to', `${local.url}/mine`, '--json'], {env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    children.push({child: listen})
    let out = ''
    let err = ''
    listen.stdout.on('data', (d: Buffer) => (out += d.toString()))
    listen.stderr.on('data', (d: Buffer) => (err += d.toString()))
    await until(() => `vcash listen ready (stderr: ${err})`, () => out.includes('"ready"'), 20_000)
    expect(JSON.parse(out.split('\n')[0]!)).toMatchObject({type: 'ready', source: b.ready.url, signing_secret: store.signing_secret})

    // The operator's dashboard on B (signed in with `vcash dashboard` beside B): its live stream.
    const dash = await runCli(['dashboard', '--data-dir', dirB, '--database-url', url, '--no-open', '--json'])
    expect(dash.code, dash.stderr).toBe(0)
    const link = (JSON.parse(dash.stdout) as {url: string}).url
    expect(link.startsWith(`${b.ready.url}/dashboard/login?token=`)).toBe(true)
    const cookie = ((await fetch(link, {redirect: 'manual'})).headers.get('set-cookie') ?? '').split(';')[0]!
    const stop = new AbortController()
    const liveRes = await fetch(`${b.ready.url}/dashboard/events`, {headers: {cookie}, signal: stop.signal})
    expect(liveRes.status).toBe(200)
    let live = ''
    const reading = (async () => {
      const decoder = new TextDecoder()
      for await (const chunk of liveRes.body!) live += decoder.decode(chunk as Uint8Array, {stream: true})
    })().catch(() => {})

    // An SMS posted to A: the merchant gets transaction.received, and B's streams carry it too.
    const posted = Date.now()
    const r = await postSms({url: a.ready.url, deviceToken: store.device_token}, VF_R1('01012345678', '64', '019146600888'))
    expect(r.status).toBe(201)
    await until('the webhook', () => site.got.length === 1, 5000)
    await until('B\'s listen stream', () => local.got.length === 1, 5000)
    const streamMs = local.got[0]!.at - posted
    expect(JSON.parse(local.got[0]!.body)).toMatchObject({type: 'transaction.received', data: {amount: '64.00'}})
    expect(local.got[0]!.body).toBe(site.got[0]!.body)
    // B's dashboard heard of A's transfer (B itself served nothing).
    await until('B\'s live dashboard', () => live.includes('"kind":"transaction"'), 3000)
    stop.abort()
    await reading

    // A CLI command (a third process, no HTTP to either server) ingests an SMS: with both
    // outboxes polling once a minute, only the NOTIFY can get it delivered within seconds.
    const file = path.join(tempDir(), 'sms.txt')
    fs.writeFileSync(file, `From: VF-Cash\n\n${VF_R1('01012345679', '77', '019146600889')}\n`)
    const ingest = await runCli(['sms', 'ingest', file, '--database-url', url, '--data-dir', tempDir(), '--json'])
    expect(ingest.code, ingest.stderr + ingest.stdout).toBe(0)
    await until('the webhook of the CLI-ingested SMS', () => site.got.length === 2, 3000)
    const second = JSON.parse(site.got[1]!.body) as {type: string; data: {amount: string; created_at: string}}
    expect(second).toMatchObject({type: 'transaction.received', data: {amount: '77.00'}})
    // From the CLI's commit (the transaction's creation) to the merchant's receipt.
    const wakeMs = site.got[1]!.at - Date.parse(second.data.created_at)
    await until('B\'s listen stream, second event', () => local.got.length === 2, 3000)
    expect(wakeMs).toBeLessThan(1500)
    console.error(`LISTEN/NOTIFY: SMS on A to B's listen stream ${streamMs} ms; CLI commit to webhook ${wakeMs} ms (outbox poll 60 s)`)
  }, 90_000)
})
