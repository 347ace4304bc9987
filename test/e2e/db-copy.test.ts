/**
 * `vcash db copy`: a data dir that a real server filled (SMS, claims, notifications) copied into
 * a fresh PostgreSQL, verified, and then served from there by `vcash serve --database-url`.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import BetterSqlite3 from 'better-sqlite3'
import {afterAll, describe, expect, inject, it} from 'vitest'

import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {check, cliEnv, postSms, realTool, runCli, type ServeChild, startServe, stoppedAfterEach, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const adminUrl = inject('pgUrl')
const available = realTool('PostgreSQL (Debian postgresql, or VCASH_TEST_DATABASE_URL)', adminUrl !== '')

const {children, servers} = stoppedAfterEach()

async function serve(args: string[]): Promise<ServeChild> {
  const c = await startServe(['--dev', '--failed-check-limit', '100000', ...args], cliEnv())
  children.push(c)
  return c
}

async function stop(c: ServeChild): Promise<void> {
  c.child.kill('SIGTERM')
  await waitExit(c.child)
}

interface CopyJson {
  ok: boolean
  rows: number
  source_running: boolean
  migrated: string[]
  tables: {table: string; rows: number; replaced: number; source_sha256: string; target_sha256: string; ok: boolean}[]
}

const copy = async (from: string, to: string, extra: string[] = []) => {
  const r = await runCli(['db', 'copy', '--from', from, '--to', to, '--json', ...extra], {timeoutMs: 60_000})
  return {...r, json: JSON.parse(r.stdout || '{}') as CopyJson & {code?: string}}
}

describe.skipIf(!available)('vcash db copy from a data dir into PostgreSQL', () => {
  afterAll(() => dropDatabases(adminUrl))

  it('copies every table of a served ledger consistently, verifies it, refuses what it should, and the copy serves checks', async () => {
    const site = http.createServer((_req, res) => res.end('ok'))
    servers.push(site)
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/paid`

    const dir = tempDir('vcash-copy-src-')
    const a = await serve(['--data-dir', dir])
    const store = a.ready.dev_store!
    const t = {url: a.ready.url, storeId: store.id, deviceToken: store.device_token}
    const set = await runCli(['store', 'set', store.id, '--data-dir', dir, '--callback', 'get', '--callback-url', siteUrl, '--json'])
    expect(set.code, set.stderr + set.stdout).toBe(0)
    const transfers = Array.from({length: 30}, (_, i) => ({phone: `010${String(20_000_000 + i)}`, amount: String(200 + i)}))
    for (const [i, tr] of transfers.entries()) expect((await postSms(t, VF_R1(tr.phone, tr.amount, String(600_000_000 + i)))).status).toBe(201)
    // The first ten are claimed (COMPLETED, a notification each); the rest stay PENDING.
    for (const tr of transfers.slice(0, 10)) expect((await check(t, {phone: tr.phone, amount: tr.amount, user_name: 'u'})).json.status).toBe(true)

    const url = new URL(await tempDatabase(adminUrl))
    url.password = 'hunter2' // trust auth ignores it; no output may show it
    const to = url.toString()

    // A server holds the data dir: refused, unless --allow-running.
    const refused = await copy(dir, to)
    expect(refused.code, refused.stdout + refused.stderr).toBe(73)
    expect(refused.json.code).toBe('data_dir_locked')
    const live = await copy(dir, to, ['--allow-running'])
    expect(live.code, live.stdout + live.stderr).toBe(0)
    expect(live.json).toMatchObject({ok: true, source_running: true})
    expect(live.json.migrated).toContain('0001_ledger')
    const names = live.json.tables.map((x) => x.table)
    // Parents first: stores before the tables that reference it.
    expect(names.indexOf('stores')).toBeLessThan(names.indexOf('transactions'))
    expect(names).toEqual(expect.arrayContaining(['stores', 'sms', 'transactions', 'notifications', 'credits', 'sessions']))
    // Every table the ledger has, whichever migrations made it (Kysely's bookkeeping aside).
    const src = new BetterSqlite3(path.join(dir, 'vcash.db'), {readonly: true})
    const all = (src.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`).all() as {name: string}[]).map((r) => r.name)
    src.close()
    expect([...names].sort()).toEqual(all.sort())
    const rows = (j: CopyJson, name: string) => j.tables.find((x) => x.table === name)!
    expect(rows(live.json, 'transactions').rows).toBe(30)
    expect(rows(live.json, 'sms').rows).toBe(30)
    expect(rows(live.json, 'stores').rows).toBe(1)
    expect(rows(live.json, 'notifications').rows).toBeGreaterThanOrEqual(10)
    for (const x of live.json.tables) expect(x.target_sha256).toBe(x.source_sha256)

    // More happens on the source after that copy; the target now holds a ledger: refused without --force.
    expect((await postSms(t, VF_R1('01099990000', '77', '600000999'))).status).toBe(201)
    await stop(a)
    const again = await copy(dir, to)
    expect(again.code).toBe(73)
    expect(again.json.code).toBe('target_not_empty')
    const forced = await copy(dir, to, ['--force'])
    expect(forced.code, forced.stdout + forced.stderr).toBe(0)
    expect(forced.json).toMatchObject({ok: true, source_running: false, migrated: []})
    expect(rows(forced.json, 'transactions')).toMatchObject({rows: 31, replaced: 30, ok: true})
    // The checksum follows the data: one more transfer, another sha256.
    expect(rows(forced.json, 'transactions').source_sha256).not.toBe(rows(live.json, 'transactions').source_sha256)
    expect(rows(forced.json, 'stores').source_sha256).toBe(rows(live.json, 'stores').source_sha256)
    const status = await runCli(['db', 'status', '--database-url', to, '--json'])
    expect(JSON.parse(status.stdout)).toMatchObject({pending: [], transactions: 31, sms: 31})
    for (const r of [refused, live, again, forced, status]) expect(r.stdout + r.stderr).not.toContain('hunter2')

    // The copy is the ledger: the store's tokens, its PENDING transfers and the claimed ones.
    const b = await serve(['--database-url', to, '--data-dir', tempDir(), '--no-dev-store'])
    expect(b.ready.dev_store).toBeNull()
    const tb = {url: b.ready.url, storeId: store.id, deviceToken: store.device_token}
    const pending = transfers[15]!
    expect((await check(tb, {phone: pending.phone, amount: pending.amount, user_name: 'v'})).json.status).toBe(true)
    expect((await check(tb, {phone: '01099990000', amount: '77', user_name: 'w'})).json.status).toBe(true)
    const claimed = await check(tb, {phone: transfers[0]!.phone, amount: transfers[0]!.amount, user_name: 'x'})
    expect(claimed.json.status).not.toBe(true)
    expect((await postSms(tb, VF_R1('01099990001', '78', '600001000'))).status).toBe(201)
  }, 180_000)

  it('refuses a data dir without a ledger and a URL that is not PostgreSQL, with a fix', async () => {
    const to = await tempDatabase(adminUrl)
    const none = await copy(tempDir(), to)
    expect(none.code).toBe(2)
    expect(none.json.code).toBe('no_ledger')
    const bad = await runCli(['db', 'copy', '--from', tempDir(), '--to', 'mysql://u:hunter2@127.0.0.1/db', '--json'])
    expect(bad.code).toBe(2)
    expect(bad.stdout + bad.stderr).not.toContain('hunter2')
  }, 60_000)
})
