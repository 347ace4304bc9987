import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import type {StoreRecord} from '../../src/lib/model.js'
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
