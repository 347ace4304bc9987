/**
 * Several `vcash serve` processes on one PostgreSQL: a transfer completes once whichever
 * instance each concurrent check reaches, and each notification is delivered once.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import pg from 'pg'
import {afterAll, describe, expect, inject, it} from 'vitest'

import {whmcsDescription} from '../../src/notify/whmcs-api.js'
import {FAKE_WHMCS_CREDENTIALS, FakeWhmcs} from '../support/fake-whmcs.js'
import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {until} from '../support/until.js'
import {check, postSms, realTool, runCli, type ServeChild, stoppedAfterEach, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const adminUrl = inject('pgUrl')
const available = realTool('PostgreSQL (Debian postgresql, or VCASH_TEST_DATABASE_URL)', adminUrl !== '')

const {servers, serveOn} = stoppedAfterEach()

/** `vcash serve` on the shared database; every check here comes from one address, so no failed-check limit. */
const instance = (url: string, extra: string[] = []): Promise<ServeChild> => serveOn(url, ['--failed-check-limit', '100000', ...extra])

/** Run `fn` over `items`, `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({length: width}, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }))
  return out
}

describe.skipIf(!available)('two vcash instances on one PostgreSQL', () => {
  afterAll(() => dropDatabases(adminUrl))

  it('vcash db status reads only, db migrate applies once, and a password in the URL is never printed', async () => {
    const url = new URL(await tempDatabase(adminUrl))
    url.password = 'hunter2' // trust auth ignores it; the output must not show it
    const db = (cmd: string) => runCli(['db', cmd, '--database-url', url.toString(), '--data-dir', tempDir(), '--json'])
    const before = await db('status')
    expect(before.code, before.stderr).toBe(0)
    expect(JSON.parse(before.stdout)).toMatchObject({database: 'postgres', applied: [], pending: expect.arrayContaining(['0001_ledger', '0005_outbox_lease'])})
    const first = await db('migrate')
    expect(JSON.parse(first.stdout).migrated).toContain('0005_outbox_lease')
    const second = await db('migrate')
    expect(JSON.parse(second.stdout).migrated).toEqual([])
    const after = await db('status')
    expect(JSON.parse(after.stdout)).toMatchObject({pending: [], transactions: 0, sms: 0})
    for (const r of [before, first, second, after]) expect(r.stdout + r.stderr).not.toContain('hunter2')
    const bad = await runCli(['db', 'status', '--database-url', 'mysql://x@127.0.0.1/db', '--json'])
    expect(bad.code).toBe(2)
  }, 60_000)

  it('300 transfers, 8 checks each at once split across both: one true per transfer, one notification each', async () => {
    const url = await tempDatabase(adminUrl)
    // The merchant's site: records every GET callback.
    const got: URLSearchParams[] = []
    const site = http.createServer((req, res) => {
      got.push(new URL(req.url ?? '/', 'http://x').searchParams)
      res.end('ok')
    })
    servers.push(site)
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/paid`

    const a = await instance(url)
    const store = a.ready.dev_store!
    const b = await instance(url)
    expect(b.ready.dev_store).toBeNull()
    // A CLI command on the same database changes the store both instances serve.
    const set = await runCli(['store', 'set', store.id, '--database-url', url, '--data-dir', tempDir(), '--callback', 'get', '--callback-url', siteUrl, '--json'])
    expect(set.code, set.stderr + set.stdout).toBe(0)

    const both = [a, b].map((c) => ({url: c.ready.url, storeId: store.id, deviceToken: store.device_token}))
    const transfers = Array.from({length: 300}, (_, i) => ({phone: `010${String(10_000_000 + i)}`, amount: String(100 + i)}))
    const ingested = await pool(transfers, 16, (t, i) => postSms(both[i % 2]!, VF_R1(t.phone, t.amount, String(700_000_000 + i))))
    expect(ingested.map((r) => r.status)).toEqual(transfers.map(() => 201))

    const started = Date.now()
    const answers = await pool(transfers, 20, (t, i) =>
      Promise.all(Array.from({length: 8}, (_, k) => check(both[k % 2]!, {phone: t.phone, amount: t.amount, user_name: `c${i}_${k}`}))))
    const checkMs = Date.now() - started
    const trues = answers.map((eight) => eight.filter((r) => r.json.status === true).length)
    expect(trues).toEqual(transfers.map(() => 1))
    // Every loser was answered (no 5xx): a conflict is "already claimed", not an error.
    expect(answers.flat().every((r) => r.status < 500)).toBe(true)

    const completedSoFar = () => got.filter((q) => q.get('status') === 'COMPLETED').length
    await until(() => `300 completed callbacks (${completedSoFar()} so far)`, () => completedSoFar() >= 300, 60_000)
    // A little longer: a second delivery of anything would show up now.
    await new Promise((r) => setTimeout(r, 2500))
    const completed = got.filter((q) => q.get('status') === 'COMPLETED').map((q) => q.get('trans_id'))
    expect(completed).toHaveLength(300)
    expect(new Set(completed).size).toBe(300)
    const list = await runCli(['callbacks', 'list', '--database-url', url, '--data-dir', tempDir(), '--state', 'delivered', '--limit', '1000', '--json'])
    expect((JSON.parse(list.stdout) as {callbacks: unknown[]}).callbacks).toHaveLength(got.length)
    console.error(`two instances: 2,400 checks in ${checkMs} ms`)
  }, 180_000)

  it('a WHMCS store, one instance SIGKILLed in the middle of deliveries: the other credits everything, once per transaction', async () => {
    const url = await tempDatabase(adminUrl)
    const whmcs = await FakeWhmcs.start({clients: [{id: 7, firstname: 'Mona', lastname: 'Ali', email: 'mona@example.com'}]})
    try {
      // Each AddCredit is applied on arrival and answered 1.5 s later: a kill leaves some applied but unconfirmed.
      await whmcs.setMode('slow', {delayMs: 1500, actions: ['AddCredit']})
      const a = await instance(url, ['--outbox-lease', '5'])
      const store = a.ready.dev_store!
      const b = await instance(url, ['--outbox-lease', '5'])
      const set = await runCli(['store', 'set', store.id, '--database-url', url, '--data-dir', tempDir(), '--callback', 'whmcs', '--whmcs-url', whmcs.url,
        '--whmcs-identifier', FAKE_WHMCS_CREDENTIALS.identifier, '--whmcs-secret', FAKE_WHMCS_CREDENTIALS.secret, '--json'])
      expect(set.code, set.stderr + set.stdout).toBe(0)
      const both = [a, b].map((c) => ({url: c.ready.url, storeId: store.id, deviceToken: store.device_token}))
      const transfers = Array.from({length: 40}, (_, i) => ({phone: `011${String(10_000_000 + i)}`, amount: String(50 + i)}))
      for (const [i, t] of transfers.entries()) expect((await postSms(both[i % 2]!, VF_R1(t.phone, t.amount, String(800_000_000 + i)))).status).toBe(201)
      // Every customer checks (WHMCS client 7); the checks wait for the credit, so they are not awaited here.
      const checks = transfers.map((t, i) => check(both[i % 2]!, {phone: t.phone, amount: t.amount, user_name: '7'}).catch(() => null))
      // The kill lands while A holds a credit WHMCS applied and has not answered yet (its lease
      // names A's pid); waiting for "some credits applied" instead left it to timing whether any
      // of them was A's, and B then had nothing to ask WHMCS about.
      const db = new pg.Client({connectionString: url})
      await db.connect()
      try {
        const aHoldsAnAppliedCredit = async () => {
          const leased = await db.query<{transaction_id: string}>(`select transaction_id from notifications where state = 'pending' and leased_by like $1`, [`%:${a.child.pid}:%`])
          const applied = whmcs.addCreditCalls.filter((c) => c.applied && c.answer === null).map((c) => c.form.description ?? '')
          return leased.rows.some((r) => applied.includes(whmcsDescription(r.transaction_id)))
        }
        await until('A holding a credit that WHMCS applied and has not answered', aHoldsAnAppliedCredit, 30_000)
      } finally {
        await db.end()
      }
      a.child.kill('SIGKILL')
      await waitExit(a.child)
      // A check that A had not yet committed when it died failed with the connection, and its
      // transfer is still PENDING: the customer asks again, and B answers.
      const answers = await Promise.all(checks)
      const retried = await Promise.all(transfers.map((t, i) => answers[i] === null ? check(both[1]!, {phone: t.phone, amount: t.amount, user_name: '7'}) : null))
      for (const r of retried) if (r) expect(r.status).toBe(200)
      // B takes over A's leases once they expire, asks WHMCS about A's unconfirmed credits, and finishes.
      await until(() => `40 credits (${whmcs.credits(7).length} so far)`, () => whmcs.credits(7).length >= 40, 170_000)
      let pending = -1
      for (let i = 0; i < 100 && pending !== 0; i++) {
        const list = await runCli(['callbacks', 'list', '--database-url', url, '--data-dir', tempDir(), '--state', 'pending', '--json'])
        pending = (JSON.parse(list.stdout) as {callbacks: unknown[]}).callbacks.length
        if (pending !== 0) await new Promise((r) => setTimeout(r, 500))
      }
      expect(pending).toBe(0)
      const descriptions = whmcs.credits(7).map((c) => c.description)
      expect(descriptions).toHaveLength(40)
      expect(new Set(descriptions).size).toBe(40)
      expect(whmcs.addCreditCalls.filter((c) => c.applied)).toHaveLength(40)
      // A died with credits applied but unconfirmed: B asked WHMCS about them instead of sending again.
      expect(whmcs.calls.some((c) => c.action.toLowerCase() === 'getcredits')).toBe(true)
      expect(whmcs.balanceCents(7)).toBe(transfers.reduce((s, t) => s + Number(t.amount) * 100, 0))
    } finally {
      await whmcs.close()
    }
  }, 260_000)
})
