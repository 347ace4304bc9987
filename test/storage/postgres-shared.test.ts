/**
 * What instances on one PostgreSQL share beside the ledger: failed-check counters (rate_windows)
 * and the change feed (LISTEN/NOTIFY), each seen from a second connection pool as another
 * instance would.
 */
import pg from 'pg'
import {afterAll, describe, expect, inject, it} from 'vitest'

import {WindowCounter} from '../../src/core/rate-limit.js'
import type {NotificationRecord} from '../../src/core/model.js'
import {PostgresStorage} from '../../src/storage/postgres-storage.js'
import type {LedgerChange} from '../../src/storage/storage.js'
import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {until} from '../support/until.js'
import {realTool} from '../support/vcash.js'
import {sms, store, tx} from './contract.js'

const adminUrl = inject('pgUrl')
const available = realTool('PostgreSQL (Debian postgresql, or VCASH_TEST_DATABASE_URL)', adminUrl !== '')

async function openPg(url: string): Promise<PostgresStorage> {
  const s = new PostgresStorage({url})
  await s.open()
  return s
}

describe.skipIf(!available)('PostgreSQL shared by instances', () => {
  afterAll(() => dropDatabases(adminUrl))

  it('failed checks counted by one instance are seen by another, slide out of the window like the in-memory counter, and clear', async () => {
    const url = await tempDatabase(adminUrl)
    const [a, b] = [await openPg(url), await openPg(url)]
    try {
      const window = 10 * 60_000
      const [ca, cb] = [a.failedChecks('caller', window), b.failedChecks('caller', window)]
      const memory = new WindowCounter(window)
      const t0 = Date.parse('2026-03-01T10:00:00Z')
      // Failures spread over 9 minutes, alternating instances; the in-memory counter sees the same.
      for (let i = 0; i < 6; i++) {
        const at = t0 + i * 90_000
        await (i % 2 === 0 ? ca : cb).add('st_1 198.51.100.7', at)
        memory.add('st_1 198.51.100.7', at)
      }
      for (const at of [t0 + 9 * 60_000, t0 + 11 * 60_000, t0 + 14 * 60_000, t0 + 30 * 60_000]) {
        expect(await ca.count('st_1 198.51.100.7', at)).toBe(memory.count('st_1 198.51.100.7', at))
        expect(await cb.retryAfter('st_1 198.51.100.7', at)).toBe(memory.retryAfter('st_1 198.51.100.7', at))
      }
      expect(await cb.count('st_1 198.51.100.7', t0 + 9 * 60_000)).toBe(6)
      // Another scope or key is another counter.
      expect(await a.failedChecks('claim', window).count('st_1 198.51.100.7', t0 + 9 * 60_000)).toBe(0)
      expect(await ca.count('st_1 198.51.100.8', t0 + 9 * 60_000)).toBe(0)
      await cb.clear('st_1 198.51.100.7')
      expect(await ca.count('st_1 198.51.100.7', t0 + 9 * 60_000)).toBe(0)
      expect(await ca.retryAfter('st_1 198.51.100.7', t0 + 9 * 60_000)).toBe(0)
      // Concurrent failures from both instances are all counted (an upsert, not read-then-write).
      await Promise.all(Array.from({length: 40}, (_, i) => (i % 2 ? ca : cb).add('st_1 2001:db8:1:2::/64', t0)))
      expect(await ca.count('st_1 2001:db8:1:2::/64', t0)).toBe(40)
      // Failures counted at once go in one upsert: several keys and buckets, repeats summed, each in its own row.
      const keys = ['st_1 192.0.2.1', 'st_1 192.0.2.2', 'st_1 192.0.2.3']
      await Promise.all(Array.from({length: 90}, (_, i) => (i % 2 ? ca : cb).add(keys[i % 3]!, t0 + (i % 5) * 60_000)))
      for (const key of keys) expect(await cb.count(key, t0 + 5 * 60_000)).toBe(30)
      // Minutes 3 and 4 only, a quarter past the window's slide: 6 + 6.
      expect(await cb.count(keys[0]!, t0 + 12.5 * 60_000)).toBe(12)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('a claim\'s candidates and the caller\'s failed checks in one query agree with reading each alone', async () => {
    const url = await tempDatabase(adminUrl)
    const s = await openPg(url)
    try {
      await s.commit({stores: [store('st_a')]})
      for (const [i, phone] of ['01011111111', '01011111111', '01022222222'].entries()) {
        await s.commit({sms: [sms(`sms_${i}`, 'st_a')], transactions: [tx(`t${i}`, 'st_a', {smsId: `sms_${i}`, senderPhone: phone})]})
      }
      const window = 10 * 60_000
      const counter = s.failedChecks('caller', window)
      expect(counter.inLedger).toEqual({scope: 'caller', windowMs: window})
      const t0 = Date.parse('2026-03-01T10:00:00Z')
      for (let i = 0; i < 4; i++) await counter.add('st_a 198.51.100.7', t0 + i * 120_000)
      for (const at of [t0 + 7 * 60_000, t0 + 11 * 60_000, t0 + 30 * 60_000]) {
        for (const phone of ['01011111111', '01022222222', '01033333333']) {
          const both = await s.byClaimCounting('st_a', phone, 10_000, {scope: 'caller', key: 'st_a 198.51.100.7', windowMs: window, now: at})
          expect(both.failed).toBe(await counter.count('st_a 198.51.100.7', at))
          expect(both.candidates.map((t) => t.id)).toEqual((await s.byClaim('st_a', phone, 10_000)).map((t) => t.id))
        }
      }
      expect((await s.byClaimCounting('st_a', '01011111111', 10_000, {scope: 'caller', key: 'st_a 198.51.100.7', windowMs: window, now: t0 + 7 * 60_000})).failed).toBe(4)
      // Reads asked at once go out together: each check still gets its own candidates and count.
      await counter.add('st_a 203.0.113.9', t0)
      const asks = Array.from({length: 40}, (_, i) => ({
        phone: ['01011111111', '01022222222', '01033333333'][i % 3]!,
        amount: i % 5 === 0 ? 20_000 : 10_000,
        counted: {scope: 'caller', key: i % 2 === 0 ? 'st_a 198.51.100.7' : 'st_a 203.0.113.9', windowMs: window, now: t0 + (i % 4) * 5 * 60_000},
      }))
      const together = await Promise.all(asks.map((a) => s.byClaimCounting('st_a', a.phone, a.amount, a.counted)))
      for (const [i, a] of asks.entries()) {
        expect(together[i]!.failed).toBe(await counter.count(a.counted.key, a.counted.now))
        expect(together[i]!.candidates.map((t) => t.id)).toEqual((await s.byClaim('st_a', a.phone, a.amount)).map((t) => t.id))
      }
      expect(new Set(together.map((r) => r.failed)).size).toBeGreaterThan(2)
      expect(together.filter((r) => r.candidates.length === 2)).not.toHaveLength(0)
    } finally {
      await s.close()
    }
  })

  it('a commit is heard by every listener once it commits, a rolled-back one never, and the listener reconnects after its connection is killed', async () => {
    const url = await tempDatabase(adminUrl)
    const [a, b] = [await openPg(url), await openPg(url)]
    const heard: LedgerChange[] = []
    const errors: unknown[] = []
    const stop = await a.watchChanges((c) => heard.push(c), (e) => errors.push(e))
    // PostgreSQL has NOTIFY: null is for engines without it.
    if (!stop) throw new Error('watchChanges answered null on PostgreSQL')
    try {
      await b.commit({stores: [store('st_a')]})
      const started = Date.now()
      await b.commit({sms: [sms('sms_1', 'st_a')], transactions: [tx('t1', 'st_a', {smsId: 'sms_1'})]})
      await until('the ingest heard', () => heard.some((c) => c.kind === 'transaction'))
      const latency = Date.now() - started
      // The store commit is heard too: every instance drops its cached copy of the store.
      expect(heard).toEqual([{kind: 'store', id: 'st_a'}, {kind: 'sms', id: 'sms_1'}, {kind: 'transaction', id: 't1'}])
      const n: NotificationRecord = {id: 'msg_1', storeId: 'st_a', transactionId: 't1', event: 'transaction.received', channel: 'webhook', payload: {}, createdAt: new Date().toISOString(), state: 'pending', attempts: [], nextAttemptAt: new Date().toISOString(), lastError: null, version: 0}
      await b.commit({notifications: [n]})
      await until('the notification heard', () => heard.some((c) => c.kind === 'notification'))
      expect(heard.at(-1)).toEqual({kind: 'notification', id: 'msg_1'})
      // A delivery attempt saved (rescheduled an hour ahead) is a `delivery`, not something due.
      const saved = (await b.getNotification('msg_1'))!
      await b.commit({notifications: [{...saved, attempts: [{at: new Date().toISOString(), url: 'https://shop.example/hook', status: 500, durationMs: 3, error: 'HTTP 500', responseExcerpt: null}], nextAttemptAt: new Date(Date.now() + 3_600_000).toISOString()}]})
      await until('the attempt heard', () => heard.some((c) => c.kind === 'delivery'))
      // A batch that fails (a conflict: an SMS already there) says nothing.
      const count = heard.length
      await expect(b.commit({sms: [sms('sms_1', 'st_a')], transactions: [tx('t2', 'st_a', {smsId: 'sms_1'})]})).rejects.toThrow()
      await new Promise((r) => setTimeout(r, 300))
      expect(heard).toHaveLength(count)

      // The listening connection dies (a failover, an admin's pg_terminate_backend): it comes back by itself.
      const admin = new pg.Client({connectionString: url})
      await admin.connect()
      try {
        const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'vcash-listen@%' and datname = current_database()`)
        expect(killed.rowCount).toBe(1)
      } finally {
        await admin.end()
      }
      await until('the feed to reconnect', () => heard.some((c) => c.kind === 'resync'))
      expect(errors.length).toBeGreaterThan(0)
      await b.commit({sms: [sms('sms_3', 'st_a')], transactions: [tx('t3', 'st_a', {smsId: 'sms_3'})]})
      await until('a commit after the reconnect heard', () => heard.some((c) => c.id === 't3'))
      console.error(`change feed: a commit heard by another pool in ${latency} ms`)
    } finally {
      await stop()
      await Promise.all([a.close(), b.close()])
    }
  })
})
