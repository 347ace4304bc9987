import pg from 'pg'
import {afterAll, describe, expect, inject, it} from 'vitest'

import {transition} from '../../src/core/transactions.js'
import type {NotificationRecord} from '../../src/core/model.js'
import {MIGRATIONS} from '../../src/storage/schema.js'
import {PostgresStorage} from '../../src/storage/postgres-storage.js'
import {ConflictError} from '../../src/storage/storage.js'
import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {realTool} from '../support/vcash.js'
import {sms, store, storageContract, tx} from './contract.js'

const adminUrl = inject('pgUrl')
const available = realTool('PostgreSQL (Debian postgresql, or VCASH_TEST_DATABASE_URL)', adminUrl !== '')

async function openPg(url?: string): Promise<PostgresStorage> {
  const s = new PostgresStorage({url: url ?? (await tempDatabase(adminUrl))})
  await s.open()
  return s
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({connectionString: url})
  await c.connect()
  try {
    return (await c.query(text)).rows as T[]
  } finally {
    await c.end()
  }
}

const notification = (id: string, due: string): NotificationRecord => ({
  id, storeId: 'st_a', transactionId: 't1', event: 'transaction.completed', channel: 'get', payload: {}, createdAt: due, state: 'pending', attempts: [], nextAttemptAt: due, lastError: null, version: 0,
})

describe.skipIf(!available)('PostgreSQL', () => {
  afterAll(() => dropDatabases(adminUrl))

  storageContract('postgres', () => openPg())

  describe('several instances on one database', () => {
    it('two instances claiming one transfer at once: exactly one wins, 40 times over', async () => {
      const url = await tempDatabase(adminUrl)
      const a = await openPg(url)
      const b = await openPg(url)
      try {
        await a.commit({stores: [store('st_a')]})
        for (let i = 0; i < 40; i++) {
          await a.commit({sms: [sms(`sms_${i}`, 'st_a')], transactions: [tx(`t${i}`, 'st_a', {smsId: `sms_${i}`})]})
          // Each instance reads the PENDING transfer, then both write their claim at once.
          const [ra, rb] = await Promise.all([a.getTransaction(`t${i}`), b.getTransaction(`t${i}`)])
          const at = new Date('2026-01-01T00:01:00Z')
          const results = await Promise.allSettled([
            a.commit({transactions: [transition(ra!, {to: 'COMPLETED', by: 'check:a', why: 'a', at, patch: {userName: 'a'}})]}),
            b.commit({transactions: [transition(rb!, {to: 'COMPLETED', by: 'check:b', why: 'b', at, patch: {userName: 'b'}})]}),
          ])
          expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
          expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError)
          const after = (await b.getTransaction(`t${i}`))!
          expect(after.audit.filter((x) => x.to === 'COMPLETED')).toHaveLength(1)
          expect(after.userName).toBe(results[0].status === 'fulfilled' ? 'a' : 'b')
        }
      } finally {
        await a.close()
        await b.close()
      }
    })

    it('four instances starting together on an empty database migrate it once', async () => {
      const url = await tempDatabase(adminUrl)
      const all = Array.from({length: 4}, () => new PostgresStorage({url}))
      await Promise.all(all.map((s) => s.open()))
      const rows = await query<{name: string}>(url, 'select name from kysely_migration order by name')
      expect(rows.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS).sort())
      expect((await all[0]!.schema()).pending).toEqual([])
      await Promise.all(all.map((s) => s.close()))
    })

    it('leases the outbox: two instances never hold one notification, a dead one\'s lease runs out, a saved attempt ends it', async () => {
      const url = await tempDatabase(adminUrl)
      const a = await openPg(url)
      const b = await openPg(url)
      try {
        await a.commit({stores: [store('st_a')]})
        const ns = Array.from({length: 30}, (_, i) => notification(`n${String(i).padStart(2, '0')}`, new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString()))
        await a.commit({notifications: ns})
        const now = new Date('2026-01-01T01:00:00Z')
        const [la, lb] = await Promise.all([a.leaseDueNotifications(now, 20, 'a', 60_000), b.leaseDueNotifications(now, 20, 'b', 60_000)])
        const ids = [...la, ...lb].map((n) => n.id)
        expect(ids).toHaveLength(30)
        expect(new Set(ids).size).toBe(30)
        // Oldest due first within a lease.
        for (const l of [la, lb]) expect(l.map((n) => n.id)).toEqual([...l.map((n) => n.id)].sort())
        // Nothing left while the leases hold.
        expect(await a.leaseDueNotifications(new Date(now.getTime() + 59_000), 50, 'a', 60_000)).toEqual([])
        // `a` saves one attempt (a failure, due again in 10 s): its lease ends with it.
        const first = la[0]!
        await a.commit({notifications: [{...first, nextAttemptAt: new Date(now.getTime() + 10_000).toISOString(), lastError: 'HTTP 500'}]})
        expect((await b.leaseDueNotifications(new Date(now.getTime() + 11_000), 50, 'b', 60_000)).map((n) => n.id)).toEqual([first.id])
        // `b` dies holding everything: once its leases expire, `a` takes them over.
        const later = await a.leaseDueNotifications(new Date(now.getTime() + 200_000), 50, 'a', 60_000)
        expect(later).toHaveLength(30)
        const held = await query<{leased_by: string; n: string}>(url, 'select leased_by, count(*) n from notifications group by leased_by')
        expect(held).toEqual([{leased_by: 'a', n: '30'}])
      } finally {
        await a.close()
        await b.close()
      }
    })
  })

  describe('what it refuses', () => {
    it('a database written by a newer vcash, and one holding foreign tables of our names', async () => {
      const url = await tempDatabase(adminUrl)
      const s = await openPg(url)
      await s.close()
      await query(url, `insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01')`)
      await expect(openPg(url)).rejects.toMatchObject({code: 'data_corrupt', message: expect.stringMatching(/newer vcash/)})

      const foreign = await tempDatabase(adminUrl)
      await query(foreign, 'create table transactions (id serial primary key, total numeric)')
      await expect(openPg(foreign)).rejects.toMatchObject({code: 'data_corrupt', message: expect.stringMatching(/no vcash schema/)})
    })

    it('an unreachable server is storage_unavailable, a missing database says how to create it, the password never shows', async () => {
      const u = new URL(adminUrl)
      u.port = '1'
      u.password = 'hunter2'
      const down = new PostgresStorage({url: u.toString()})
      const e = await down.open().catch((error: unknown) => error)
      expect(e).toMatchObject({code: 'storage_unavailable', http: 503})
      expect((e as Error).message).not.toContain('hunter2')
      // The reads both engines share (storage/shared-reads.ts) fail as this engine's own reads do.
      const reads = await Promise.allSettled([down.listDevices(), down.getDevice('dv_x'), down.devicesToSweep(new Date(), 1), down.lastBalancePoint('st_a', 'vodafone', new Date()), down.transactionTotals(new Date(0), new Date()), down.findSessionByTokenHash('h')])
      for (const r of reads) expect(r).toMatchObject({status: 'rejected', reason: {code: 'storage_unavailable', http: 503}})
      await down.close()
      const missing = new URL(adminUrl)
      missing.pathname = '/no_such_vcash_db'
      const m = new PostgresStorage({url: missing.toString()})
      await expect(m.open()).rejects.toMatchObject({code: 'database_missing'})
      await m.close()
    })

    it('connections dropped by the server (a failover) are replaced: no fault, the next read and write work', async () => {
      const url = await tempDatabase(adminUrl)
      const s = await openPg(url)
      try {
        await s.commit({stores: [store('st_a')]})
        await Promise.all([s.getStore('st_a'), s.getStore('st_a'), s.getStore('st_a')])
        const name = new URL(url).pathname.slice(1)
        const killed = await query<{ok: boolean}>(adminUrl, `select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = '${name}'`)
        expect(killed.length).toBeGreaterThan(0)
        await new Promise((r) => setTimeout(r, 200))
        expect(s.writeFault()).toBeNull()
        expect((await s.getStore('st_a'))?.id).toBe('st_a')
        await s.commit({sms: [sms('sms_1', 'st_a')]})
        expect(await s.countSms()).toBe(1)
      } finally {
        await s.close()
      }
    })

    it('pool size and statement timeout come from the URL', async () => {
      const url = new URL(await tempDatabase(adminUrl))
      url.searchParams.set('pool_max', '3')
      url.searchParams.set('statement_timeout', '200')
      const s = await openPg(url.toString())
      try {
        expect(s.pool.options.max).toBe(3)
        await s.commit({stores: [store('st_a')]})
        // The pool's sessions cancel a statement slower than the timeout: "try again", not a hang.
        await expect(s.pool.query('select pg_sleep(2)')).rejects.toMatchObject({code: '57014'})
        expect((await s.pool.query('show statement_timeout')).rows[0]).toEqual({statement_timeout: '200ms'})
      } finally {
        await s.close()
      }
    })

    it('the ledger\'s queries are prepared once per connection, unless ?prepared_statements=off (a pooler that cannot keep them)', async () => {
      for (const [setting, expected] of [['on', true], ['off', false]] as const) {
        const url = new URL(await tempDatabase(adminUrl))
        url.searchParams.set('pool_max', '1')
        if (setting === 'off') url.searchParams.set('prepared_statements', 'off')
        const s = await openPg(url.toString())
        try {
          await s.commit({stores: [store('st_a')]})
          for (let i = 0; i < 3; i++) expect((await s.getStore('st_a'))?.id).toBe('st_a')
          // One connection: the session that ran the reads is the one asked.
          const {rows} = await s.pool.query<{statement: string}>('select statement from pg_prepared_statements')
          expect(rows.some((r) => /from "stores"/.test(r.statement)), setting).toBe(expected)
        } finally {
          await s.close()
        }
      }
      await expect(openPg(`${await tempDatabase(adminUrl)}?prepared_statements=maybe`)).rejects.toMatchObject({code: 'invalid_flags'})
    })

    it('a Unix socket in libpq\'s form (postgres://user@/db?host=/socket/dir) is a database URL', async () => {
      const url = new URL(await tempDatabase(adminUrl))
      const admin = new pg.Client({connectionString: adminUrl})
      await admin.connect()
      const dir = String((await admin.query('show unix_socket_directories')).rows[0].unix_socket_directories).split(',')[0]!.trim()
      await admin.end()
      const s = await openPg(`postgres://${url.username}@${url.pathname}?host=${encodeURIComponent(dir)}&port=${url.port}`)
      try {
        await s.commit({stores: [store('st_a')]})
        expect((await s.pool.query('select inet_server_addr() as addr')).rows[0]).toEqual({addr: null}) // null: not over TCP
        expect((await s.getStore('st_a'))?.id).toBe('st_a')
      } finally {
        await s.close()
      }
    })
  })
})
