/**
 * `vcash backup` while a real server ingests SMS, and `vcash restore`: the restored ledger has
 * every SMS the server acknowledged before the backup started, the backup is one 0600 file that
 * passes integrity_check, and restore refuses a data dir a server owns or one that is not empty.
 */
import fs from 'node:fs'
import path from 'node:path'

import BetterSqlite3 from 'better-sqlite3'
import {afterEach, describe, expect, it} from 'vitest'

import {SqliteStorage} from '../../src/storage/sqlite-storage.js'
import {postSms, runCli, type ServeChild, spawnServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const children: ServeChild[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
})

describe('vcash backup / restore', () => {
  it('a backup taken while SMS are posted restores every SMS acknowledged before it started', async () => {
    const dir = tempDir()
    const s = await spawnServe(dir)
    children.push(s)
    const dev = s.ready.dev_store!
    // A spool file of the phone agent: a small file the backup carries.
    fs.mkdirSync(path.join(dir, 'sms'), {recursive: true})
    fs.writeFileSync(path.join(dir, 'sms', 'adb-cursors.json'), '{"version":1,"devices":{"emulator-5554":{"lastId":7,"lastDate":1,"updatedAt":"2026-01-01T00:00:00.000Z"}}}\n', {mode: 0o600})

    // Ingest runs throughout: before, during and after the backup.
    const acked: {id: string; at: number}[] = []
    let stop = false
    let n = 0
    const ingest = (async () => {
      while (!stop) {
        const i = n++
        const r = await postSms({url: s.ready.url, deviceToken: dev.device_token}, VF_R1('01012345678', String(100 + i), `77${String(i).padStart(10, '0')}`))
        expect(r.status).toBe(201)
        acked.push({id: (r.json.transaction as {id: string}).id, at: Date.now()})
      }
    })()
    while (acked.length < 30) await new Promise((r) => setTimeout(r, 10))

    const file = path.join(tempDir('vcash-backup-'), 'vcash.backup')
    const startedAt = Date.now()
    const ackedBefore = acked.filter((a) => a.at < startedAt).map((a) => a.id)
    const b = await runCli(['backup', '--data-dir', dir, '--out', file, '--json'])
    const backupMs = Date.now() - startedAt
    const during = acked.length
    while (acked.length < during + 10) await new Promise((r) => setTimeout(r, 10))
    stop = true
    await ingest
    expect(b.code, b.stderr).toBe(0)
    const report = JSON.parse(b.stdout) as {file: string; format: string; counts: {transactions: number; sms: number; stores: number}; files: string[]; bytes: number; duration_ms: number}
    expect(report).toMatchObject({format: 'vcash-backup/1', files: ['sms/adb-cursors.json']})
    expect(report.counts.transactions).toBeGreaterThanOrEqual(ackedBefore.length)
    // The server went on ingesting while the backup ran, and after.
    expect(acked.length).toBeGreaterThan(report.counts.transactions)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.existsSync(`${file}-wal`)).toBe(false)
    const raw = new BetterSqlite3(file, {readonly: true})
    expect(raw.pragma('integrity_check', {simple: true})).toBe('ok')
    raw.close()

    // Restore refuses the running server's data dir, then a non-empty dir without --force.
    const busy = await runCli(['restore', file, '--data-dir', dir, '--force', '--json'])
    expect(busy.code).toBe(73)
    expect(JSON.parse(busy.stdout)).toMatchObject({code: 'data_dir_locked'})
    const target = tempDir('vcash-restored-')
    fs.writeFileSync(path.join(target, 'notes.txt'), 'mine')
    const full = await runCli(['restore', file, '--data-dir', target, '--json'])
    expect(full.code).toBe(73)
    expect(JSON.parse(full.stdout)).toMatchObject({code: 'data_dir_not_empty'})
    const r = await runCli(['restore', file, '--data-dir', target, '--force', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const restored = JSON.parse(r.stdout) as {counts: {transactions: number}; moved_aside: string}
    expect(restored.counts.transactions).toBe(report.counts.transactions)
    expect(fs.readFileSync(path.join(restored.moved_aside, 'notes.txt'), 'utf8')).toBe('mine')
    expect(fs.readFileSync(path.join(target, 'sms', 'adb-cursors.json'), 'utf8')).toContain('emulator-5554')

    const storage = new SqliteStorage({dataDir: target})
    await storage.open()
    try {
      const ids = new Set((await storage.listTransactions({limit: 10_000})).items.map((t) => t.id))
      expect(ackedBefore.filter((id) => !ids.has(id))).toEqual([])
      expect(ids.size).toBe(report.counts.transactions)
      expect(await storage.countSms()).toBe(report.counts.sms)
      expect((await storage.listStores()).map((x) => x.id)).toEqual([dev.id])
    } finally {
      await storage.close()
    }
    // The restored data dir serves: the phone's token still works there.
    s.child.kill('SIGTERM')
    await waitExit(s.child)
    const again = await spawnServe(target, ['--no-dev-store'])
    children.push(again)
    expect(again.ready.dev_store).toBeNull()
    const post = await postSms({url: again.ready.url, deviceToken: dev.device_token}, VF_R1('01012345678', '999', '779999999999'))
    expect(post.status).toBe(201)
    console.log(`backup of ${report.counts.transactions} transactions (${report.bytes} bytes) under ingest: ${report.duration_ms} ms (${backupMs} ms with the CLI start)`)
  }, 60_000)

  it('refuses a file that is not a vcash backup, and a data dir without a ledger', async () => {
    const junk = path.join(tempDir(), 'junk.backup')
    fs.writeFileSync(junk, 'not sqlite at all, just text'.repeat(100))
    const r = await runCli(['restore', junk, '--data-dir', tempDir(), '--json'])
    expect(r.code).toBe(65)
    expect(JSON.parse(r.stdout)).toMatchObject({status: false, code: 'not_a_backup'})
    const none = await runCli(['backup', '--data-dir', tempDir(), '--out', path.join(tempDir(), 'x.backup'), '--json'])
    expect(none.code).toBe(2)
    expect(JSON.parse(none.stdout)).toMatchObject({code: 'no_ledger'})
  })
})
