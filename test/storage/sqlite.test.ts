import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import BetterSqlite3 from 'better-sqlite3'
import {afterEach, describe, expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {SqliteStorage} from '../../src/storage/sqlite-storage.js'
import {check, postSms, realTool, startServer, tempDir, VF_R1} from '../support/vcash.js'
import {sms, store, storageContract, tx} from './contract.js'

storageContract('sqlite', async () => {
  const s = new SqliteStorage({dataDir: tempDir()})
  await s.open()
  return s
})

describe('the SQLite ledger on disk', () => {
  it('creates the data dir 0700 and the ledger 0600, in WAL mode', async () => {
    const dir = path.join(tempDir(), 'data')
    const s = new SqliteStorage({dataDir: dir})
    await s.open()
    await s.commit({stores: [store('st_a')]})
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    for (const f of ['vcash.db', 'vcash.db-wal']) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600)
    await s.close()
    const db = new BetterSqlite3(path.join(dir, 'vcash.db'), {readonly: true})
    expect(db.pragma('journal_mode', {simple: true})).toBe('wal')
    db.close()
  })

  it('a damaged file stops with data_corrupt and is left as it was', async () => {
    const dir = tempDir()
    const s = new SqliteStorage({dataDir: dir})
    await s.open()
    await s.commit({stores: [store('st_a')]})
    await s.close()
    const file = path.join(dir, 'vcash.db')
    const bytes = fs.readFileSync(file)
    // Scribble over everything after the header page.
    bytes.fill(0x5a, 100, bytes.length)
    fs.writeFileSync(file, bytes)
    const before = fs.readFileSync(file)
    await expect(new SqliteStorage({dataDir: dir}).open()).rejects.toMatchObject({code: 'data_corrupt'})
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('a file that is not SQLite at all, a foreign SQLite database, and a newer schema are refused', async () => {
    const junk = tempDir()
    fs.writeFileSync(path.join(junk, 'vcash.db'), 'this is not a database, it is a shopping list'.repeat(100))
    await expect(new SqliteStorage({dataDir: junk}).open()).rejects.toMatchObject({code: 'data_corrupt'})

    const foreign = tempDir()
    const db = new BetterSqlite3(path.join(foreign, 'vcash.db'))
    db.exec('create table photos (id integer primary key, name text)')
    db.close()
    await expect(new SqliteStorage({dataDir: foreign}).open()).rejects.toMatchObject({code: 'data_corrupt', message: expect.stringMatching(/not a vcash ledger/)})

    const newer = tempDir()
    const s = new SqliteStorage({dataDir: newer})
    await s.open()
    await s.close()
    const n = new BetterSqlite3(path.join(newer, 'vcash.db'))
    n.prepare(`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01')`).run()
    n.close()
    await expect(new SqliteStorage({dataDir: newer}).open()).rejects.toMatchObject({code: 'data_corrupt', message: expect.stringMatching(/newer vcash/)})
  })

  it('a CLI command and a server share the ledger: each sees what the other committed', async () => {
    const t = await startServer()
    try {
      const r = await postSms(t, VF_R1('01011112222', '150', '123456781'))
      expect(r.status).toBe(201)
      const cli = await openLocal({dataDir: t.dataDir, holder: 'cli'})
      try {
        expect(await cli.storage.countTransactions()).toBe(1)
        await cli.service.updateStore(t.storeId, {name: 'Renamed by the CLI'})
      } finally {
        await cli.close()
      }
      expect((await t.server.local.storage.getStore(t.storeId))?.name).toBe('Renamed by the CLI')
    } finally {
      await t.close()
    }
  })
})

describe('durability: a commit is acknowledged only after the WAL is on disk', () => {
  // The fsync of synchronous=FULL is made by SqliteStorage on the thread pool; these pin that a
  // batch resolves only after an fsync that began after its COMMIT, and that a failed fsync is
  // never acknowledged.
  async function fileHandleProto(dir: string): Promise<{datasync: () => Promise<void>}> {
    const fh = await fs.promises.open(path.join(dir, 'probe'), 'w')
    const proto = Object.getPrototypeOf(fh) as {datasync: () => Promise<void>}
    await fh.close()
    return proto
  }

  it('resolves a batch only after an fsync that began after its COMMIT returned', async () => {
    const dir = tempDir()
    const s = new SqliteStorage({dataDir: dir})
    await s.open()
    await s.commit({stores: [store('st_a')]})
    const proto = await fileHandleProto(dir)
    const real = proto.datasync
    const events: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    proto.datasync = async function (this: unknown) {
      events.push('fsync begins')
      await gate
      await real.call(this)
      events.push('fsync done')
    }
    try {
      const p = s.commit({sms: [sms('sms_1', 'st_a')]}).then(() => events.push('acknowledged'))
      await new Promise((r) => setTimeout(r, 50))
      // Committed (a reader of this connection sees it) but not acknowledged while the disk syncs.
      expect(await s.getSms('sms_1')).toBeDefined()
      expect(events).toEqual(['fsync begins'])
      release()
      await p
      expect(events).toEqual(['fsync begins', 'fsync done', 'acknowledged'])
    } finally {
      proto.datasync = real
    }
    await s.close()
  })

  it('a failed fsync is not acknowledged: storage_unavailable, and /healthz-style writeFault says why', async () => {
    const dir = tempDir()
    const s = new SqliteStorage({dataDir: dir})
    await s.open()
    await s.commit({stores: [store('st_a')]})
    const proto = await fileHandleProto(dir)
    const real = proto.datasync
    proto.datasync = async () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), {code: 'EIO'})
    }
    try {
      await expect(s.commit({sms: [sms('sms_1', 'st_a')]})).rejects.toMatchObject({code: 'storage_unavailable'})
      expect(s.writeFault()).toMatch(/did not confirm a write \(EIO\)/)
    } finally {
      proto.datasync = real
    }
    await s.close()
  })
})

describe('import of an old-format data dir', () => {
  it('imports every record once with a report and keeps the old files, renamed', async () => {
    const dir = tempDir()
    const st = {...store('st_old'), version: 3}
    const m = {...sms('sms_1', 'st_old'), version: 1}
    const t = {...tx('t1', 'st_old', {smsId: 'sms_1', receivedAt: '2026-01-01T02:00:00+02:00'}), version: 1}
    const archived = {...tx('t0', 'st_old', {smsId: 'sms_0', status: 'COMPLETED'}), version: 2}
    fs.writeFileSync(path.join(dir, 'db.json'), JSON.stringify({format: 1, seq: 1, stores: [st], sms: [m], transactions: [], notifications: [], credits: []}))
    // A journal entry after the snapshot, and a torn last line that was never acknowledged.
    fs.writeFileSync(path.join(dir, 'journal-000000000002.ndjson'), `${JSON.stringify({seq: 2, b: {transactions: [t]}})}\n{"seq":3,"b":{"stor`)
    fs.writeFileSync(path.join(dir, 'archive-transactions.ndjson'), `${JSON.stringify(archived)}\n`)
    const reports: unknown[] = []
    const l = await openLocal({dataDir: dir, holder: 'cli', onImport: (r) => reports.push(r)})
    try {
      expect(l.imported).toMatchObject({stores: 1, sms: 1, transactions: 2, notifications: 0, credits: 0})
      expect(reports).toHaveLength(1)
      expect((await l.storage.getTransaction('t1'))?.receivedAt).toBe('2026-01-01T00:00:00.000Z')
      expect((await l.storage.getTransaction('t0'))?.status).toBe('COMPLETED')
      expect(await l.storage.hasPaid('st_old', '01000000001')).toBe(true)
    } finally {
      await l.close()
    }
    expect(fs.existsSync(path.join(dir, 'db.json'))).toBe(false)
    const kept = fs.readdirSync(dir).find((f) => f.startsWith('legacy-'))!
    expect(fs.readdirSync(path.join(dir, kept)).sort()).toEqual(['archive-transactions.ndjson', 'db.json', 'journal-000000000002.ndjson'])
    // Once: the next open imports nothing.
    const again = await openLocal({dataDir: dir, holder: 'cli'})
    expect(again.imported).toBeNull()
    expect(await again.storage.countTransactions()).toBe(2)
    await again.close()
  })

  it('a db.json holding null or {} is refused with data_corrupt, not started empty over it', async () => {
    for (const content of ['null', '{"stores": {}}', '[1,2]']) {
      const dir = tempDir()
      fs.writeFileSync(path.join(dir, 'db.json'), content)
      await expect(openLocal({dataDir: dir, holder: 'cli'})).rejects.toMatchObject({code: 'data_corrupt'})
      expect(fs.readFileSync(path.join(dir, 'db.json'), 'utf8')).toBe(content)
    }
  })
})

// A real full disk: a 2 MB tmpfs (needs root, which CI has).
const canMount = process.getuid?.() === 0 && (() => {
  try {
    const probe = tempDir()
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])
    execFileSync('umount', [probe])
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!realTool('a tmpfs mount (root)', canMount))('a full disk', () => {
  const mounts: string[] = []
  afterEach(() => {
    for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m])
  })

  it('answers 503 storage_unavailable with Retry-After, /healthz says so, and every acknowledged SMS survives', async () => {
    const dir = tempDir()
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir])
    mounts.push(dir)
    const t = await startServer({dataDir: path.join(dir, 'data')})
    const acked: string[] = []
    let refused: {status: number; json: Record<string, unknown>; retryAfter: string | null} | null = null
    try {
      const filler = path.join(dir, 'filler')
      // Leave a little room (whatever the fresh ledger took), then fill it with SMS until the ledger cannot grow.
      const st = fs.statfsSync(dir)
      const freeKb = Math.floor((st.bavail * st.bsize) / 1024)
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1k', `count=${Math.max(0, freeKb - 300)}`], {stdio: 'ignore'})
      for (let i = 0; i < 5000 && !refused; i++) {
        const phone = `010${String(i).padStart(8, '0')}`
        const res = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1(phone, '100', String(500000000 + i)).repeat(1)})})
        const json = (await res.json()) as Record<string, unknown>
        if (res.status === 201) acked.push((json.transaction as {id: string}).id)
        else refused = {status: res.status, json, retryAfter: res.headers.get('retry-after')}
      }
      expect(refused).toMatchObject({status: 503, json: {code: 'storage_unavailable'}})
      expect(refused!.retryAfter).not.toBeNull()
      const health = await fetch(`${t.url}/healthz`)
      expect(health.status).toBe(503)
      // Free the space: the next SMS is stored and the health check recovers.
      fs.rmSync(filler)
      const later = await postSms(t, VF_R1('01099999999', '100', '999999991'))
      expect(later.status).toBe(201)
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
    } finally {
      await t.close()
    }
    expect(acked.length).toBeGreaterThan(0)
    const l = await openLocal({dataDir: path.join(dir, 'data'), holder: 'cli'})
    try {
      for (const id of acked) expect(await l.storage.getTransaction(id), `acknowledged ${id} lost`).toBeDefined()
    } finally {
      await l.close()
    }
    void check
  }, 60_000)
})
