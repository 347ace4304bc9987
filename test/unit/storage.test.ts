import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import type {SmsRecord, StoreRecord, TransactionRecord} from '../../src/lib/model.js'
import {acquireLock} from '../../src/lib/storage/lock.js'
import {LowdbStorage} from '../../src/lib/storage/lowdb-storage.js'
import {ConflictError} from '../../src/lib/storage/storage.js'
import {tempDir} from '../support/vcash.js'

const store = (id: string, name = 'S'): StoreRecord => ({
  id, name, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', apiTokenHash: `a${id}`, deviceTokenHash: `d${id}`, signingSecret: 'whsec_x',
  callback: {kind: 'none'}, rate: '1', currencyLabel: 'EGP', antiSpam: {enabled: false, rules: {amountOver: null, firstPayment: false, failedChecksBefore: null, duplicatePending: true}},
  requireToken: false, allowIps: [], matchWindowMinutes: 60, mode: 'production', version: 0,
})

async function open(dir: string, checkpointBytes?: number) {
  const s = new LowdbStorage({dataDir: dir, checkpointBytes})
  await s.open()
  return s
}

describe('LowdbStorage', () => {
  it('replays the journal after a crash and ignores a torn last line', async () => {
    const dir = tempDir()
    const s = await open(dir)
    await s.commit({stores: [store('st_1')]})
    await s.commit({stores: [store('st_2')]})
    // Simulate a crash: no close(), and a half-written append at the end of the journal.
    const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!
    fs.appendFileSync(path.join(dir, journal), '{"seq":99,"b":{"stores":[{"id":"st_torn"')
    const again = await open(dir)
    expect(again.listStores().map((x) => x.id).sort()).toEqual(['st_1', 'st_2'])
    expect(again.getStore('st_torn')).toBeUndefined()
    await again.close()
  })

  it('refuses a corrupt journal line before the end instead of guessing', async () => {
    const dir = tempDir()
    const s = await open(dir)
    await s.commit({stores: [store('st_1')]})
    const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!
    const text = fs.readFileSync(path.join(dir, journal), 'utf8')
    fs.writeFileSync(path.join(dir, journal), `garbage\n${text}`)
    await expect(open(dir)).rejects.toMatchObject({code: 'data_corrupt'})
  })

  it('loses nothing committed while a checkpoint is being written', async () => {
    const dir = tempDir()
    const s = await open(dir, 1) // checkpoint after every commit
    const commits = Array.from({length: 200}, (_, i) => s.commit({stores: [store(`st_${i}`)]}))
    await Promise.all(commits)
    await s.flush()
    // Crash without close: whatever is durable must come back.
    const again = await open(dir)
    expect(again.listStores()).toHaveLength(200)
    await again.close()
  })

  it('checks versions: a stale write is a conflict and changes nothing', async () => {
    const dir = tempDir()
    const s = await open(dir)
    await s.commit({stores: [store('st_1')]})
    const v1 = s.getStore('st_1')!
    await s.commit({stores: [{...v1, name: 'first'}]})
    await expect(s.commit({stores: [{...v1, name: 'second'}, store('st_new')]})).rejects.toBeInstanceOf(ConflictError)
    expect(s.getStore('st_1')!.name).toBe('first')
    expect(s.getStore('st_new')).toBeUndefined()
    await expect(s.commit({stores: [s.getStore('st_1')!]})).rejects.toThrow(/mutated in place/)
    await s.close()
  })

  it('close() folds the journal into db.json', async () => {
    const dir = tempDir()
    const s = await open(dir)
    await s.commit({stores: [store('st_1')]})
    await s.close()
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('journal-') && fs.statSync(path.join(dir, f)).size > 0)).toEqual([])
    expect((JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8')) as {stores: unknown[]}).stores).toHaveLength(1)
  })
})

describe('data dir lock', () => {
  it('one owner at a time; a dead owner\'s lock is taken over', () => {
    const dir = tempDir()
    const lock = acquireLock(dir, 'server')
    expect(() => acquireLock(dir, 'cli')).toThrow(/in use by a vcash server/)
    lock.release()
    const again = acquireLock(dir, 'cli')
    again.release()
    fs.writeFileSync(path.join(dir, 'vcash.lock'), JSON.stringify({pid: 2 ** 22 + 12345, host: os.hostname(), startedAt: 'x', holder: 'server'}))
    const stale = acquireLock(dir, 'cli')
    stale.release()
  })
})

describe('archive of settled history', () => {
  const tx = (i: number, status: 'COMPLETED' | 'PENDING', at: string): TransactionRecord => ({
    id: `tx_${String(i).padStart(4, '0')}`, storeId: 'st_1', status, provider: 'vodafone_cash', amount: 100 * i, senderPhone: `0101000${String(i).padStart(4, '0')}`, senderName: null,
    reference: String(900_000 + i), balance: null, occurredAt: null, receivedAt: at, createdAt: at, updatedAt: at, smsId: `sms_${i}`, userName: 'u', clientId: null, heldBy: [],
    audit: [], version: 0,
  })
  const sms = (i: number, at: string): SmsRecord => ({id: `sms_${i}`, storeId: 'st_1', sender: 'VF-Cash', body: `body ${i} تم استلام`, receivedAt: at, storedAt: at, fingerprint: `fp${i}`, outcome: 'receive', reason: null, source: 't', transactionId: `tx_${String(i).padStart(4, '0')}`, version: 0})

  it('moves old settled transactions and their SMS to disk, and still finds, lists and dedupes them', async () => {
    const dir = tempDir()
    const now = new Date('2026-06-10T00:00:00Z')
    const s = new LowdbStorage({dataDir: dir, now: () => now})
    await s.open()
    await s.commit({stores: [store('st_1')]})
    for (let i = 1; i <= 30; i++) {
      const at = new Date(Date.UTC(2026, 5, 1, 0, i)).toISOString()
      await s.commit({sms: [sms(i, at)], transactions: [tx(i, i % 3 === 0 ? 'PENDING' : 'COMPLETED', at)]})
    }
    await s.checkpoint()
    expect(fs.statSync(path.join(dir, 'archive-transactions.ndjson')).size).toBeGreaterThan(0)
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8')) as {transactions: TransactionRecord[]}
    // Only the open (PENDING) ones stay in the snapshot.
    expect(snapshot.transactions.map((t) => t.status)).toEqual(Array(10).fill('PENDING'))
    await s.close()

    const again = new LowdbStorage({dataDir: dir, now: () => now})
    await again.open()
    expect(again.countTransactions()).toBe(30)
    expect(again.countSms()).toBe(30)
    expect(again.getTransaction('tx_0001')).toMatchObject({status: 'COMPLETED', amount: 100})
    expect(again.findSmsByFingerprint('st_1', 'fp1')?.body).toBe('body 1 تم استلام')
    expect(again.hasPaid('st_1', '01010000001')).toBe(true)
    expect(again.hasPaid('st_1', '01010000003')).toBe(false)
    // Newest first across memory and archive, paginated without gaps or repeats.
    const seen: string[] = []
    for (let cursor: string | undefined; ; ) {
      const page = again.listTransactions({storeId: 'st_1', limit: 7, cursor})
      seen.push(...page.items.map((t) => t.id))
      if (!page.nextCursor) break
      cursor = page.nextCursor
    }
    expect(seen).toEqual(Array.from({length: 30}, (_, k) => `tx_${String(30 - k).padStart(4, '0')}`))
    expect(again.listTransactions({storeId: 'st_1', status: 'PENDING', limit: 100}).items).toHaveLength(10)
    await again.close()
  })

  it('a crash between archiving and rewriting db.json leaves no duplicates', async () => {
    const dir = tempDir()
    const now = new Date('2026-06-10T00:00:00Z')
    const s = new LowdbStorage({dataDir: dir, now: () => now})
    await s.open()
    await s.commit({stores: [store('st_1')]})
    const at = '2026-06-01T00:00:00.000Z'
    await s.commit({sms: [sms(1, at)], transactions: [tx(1, 'COMPLETED', at)]})
    // The archive got the record, but the process died before db.json/journals were rewritten.
    fs.appendFileSync(path.join(dir, 'archive-transactions.ndjson'), `${JSON.stringify(s.getTransaction('tx_0001'))}\n`)
    fs.appendFileSync(path.join(dir, 'archive-sms.ndjson'), `${JSON.stringify({...sms(1, at), version: 1})}\n{"torn":`)
    const again = new LowdbStorage({dataDir: dir, now: () => now})
    await again.open()
    expect(again.countTransactions()).toBe(1)
    expect(again.countSms()).toBe(1)
    expect(again.listTransactions({limit: 10}).items.map((t) => t.id)).toEqual(['tx_0001'])
    await again.close()
  })
})

describe('checkpoints', () => {
  it('overlapping checkpoints archive each record once', async () => {
    const dir = tempDir()
    const now = new Date('2026-06-10T00:00:00Z')
    const s = new LowdbStorage({dataDir: dir, now: () => now})
    await s.open()
    await s.commit({stores: [store('st_1')]})
    for (let i = 1; i <= 20; i++) {
      const at = new Date(Date.UTC(2026, 5, 1, 0, i)).toISOString()
      await s.commit({transactions: [{id: `tx_${i}`, storeId: 'st_1', status: 'COMPLETED', provider: 'vodafone_cash', amount: i, senderPhone: null, senderName: null, reference: null, balance: null, occurredAt: null, receivedAt: at, createdAt: at, updatedAt: at, smsId: `sms_${i}`, userName: null, clientId: null, heldBy: [], audit: [], version: 0}]})
    }
    await Promise.all([s.checkpoint(), s.checkpoint(), s.checkpoint()])
    await s.close()
    const lines = fs.readFileSync(path.join(dir, 'archive-transactions.ndjson'), 'utf8').trim().split('\n')
    expect(lines).toHaveLength(20)
    const again = new LowdbStorage({dataDir: dir, now: () => now})
    await again.open()
    expect(again.listTransactions({limit: 100}).items).toHaveLength(20)
    await again.close()
  })
})
