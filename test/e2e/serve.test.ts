import fs from 'node:fs'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {SqliteStorage} from '../../src/storage/sqlite-storage.js'
import {type ServeChild, postSms, runCli, spawnServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const children: ServeChild[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
})

async function serve(dataDir: string): Promise<ServeChild> {
  const c = await spawnServe(dataDir)
  children.push(c)
  return c
}

describe('vcash serve (a real process)', () => {
  it('refuses a second server on the same data dir with a clear error', async () => {
    const dir = tempDir()
    await serve(dir)
    const second = await runCli(['serve', '--data-dir', dir, '--port', '0'])
    expect(second.code).toBe(73)
    expect(second.stderr).toMatch(/in use by a vcash server/)
    expect(second.stderr).toMatch(/Stop that server first/)
  })

  it('keeps an SMS acknowledged right before a SIGKILL', async () => {
    const dir = tempDir()
    const s = await serve(dir)
    const dev = s.ready.dev_store!
    const acked: string[] = []
    for (let i = 0; i < 20; i++) {
      const r = await postSms({url: s.ready.url, deviceToken: dev.device_token}, VF_R1('01012345678', String(100 + i), `0191466598${String(i).padStart(2, '0')}`))
      expect(r.status).toBe(201)
      acked.push((r.json.transaction as {id: string}).id)
    }
    s.child.kill('SIGKILL')
    await waitExit(s.child)
    // The lock of a dead server is stale: a new server takes over and has every acknowledged SMS.
    const again = await serve(dir)
    expect(again.ready.dev_store).toBeNull()
    const list = await runCli(['tx', 'list', '--data-dir', dir, '--json', '--limit', '100'])
    expect(list.code).toBe(0)
    const ids = (JSON.parse(list.stdout) as {transactions: {id: string}[]}).transactions.map((t) => t.id)
    expect(ids.sort()).toEqual([...acked].sort())
  })

  it('shuts down gracefully on SIGTERM: releases the lock and leaves a readable store', async () => {
    const dir = tempDir()
    const s = await serve(dir)
    await postSms({url: s.ready.url, deviceToken: s.ready.dev_store!.device_token}, VF_R1('01012345678', '55', '019146650001'))
    s.child.kill('SIGTERM')
    expect(await waitExit(s.child)).toBe(0)
    expect(fs.existsSync(path.join(dir, 'vcash.lock'))).toBe(false)
    expect(fs.existsSync(path.join(dir, 'admin.json'))).toBe(false)
    const storage = new SqliteStorage({dataDir: dir})
    await storage.open()
    expect((await storage.countTransactions())).toBe(1)
    await storage.close()
  })

  it('routes CLI changes through the running server, and opens the data dir itself otherwise', async () => {
    const dir = tempDir()
    const s = await serve(dir)
    const created = await runCli(['store', 'init', '--data-dir', dir, '--name', 'Second', '--callback', 'none', '--json'])
    expect(created.code).toBe(0)
    const store = JSON.parse(created.stdout) as {id: string; token: string; device_token: string}
    expect(store.token).toMatch(/^vk_/)
    expect(store.device_token).toMatch(/^vd_/)
    // The running server knows the new store at once: its device token works.
    const r = await postSms({url: s.ready.url, deviceToken: store.device_token}, VF_R1('01012345678', '10', '019146650002'))
    expect(r.status).toBe(201)
    const admin = JSON.parse(fs.readFileSync(path.join(dir, 'admin.json'), 'utf8')) as {token: string}
    expect(admin.token.length).toBeGreaterThan(20)
    expect(fs.statSync(path.join(dir, 'admin.json')).mode & 0o777).toBe(0o600)
    s.child.kill('SIGTERM')
    await waitExit(s.child)
    const list = await runCli(['store', 'list', '--data-dir', dir, '--json'])
    expect(list.code).toBe(0)
    expect((JSON.parse(list.stdout) as {stores: unknown[]}).stores).toHaveLength(2)
  })
})

describe('CLI without a terminal', () => {
  it('store init names the missing flags and exits non-zero', async () => {
    const dir = tempDir()
    const r = await runCli(['store', 'init', '--data-dir', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--name/)
    expect(r.stderr).toMatch(/--callback/)
    const j = await runCli(['store', 'init', '--data-dir', dir, '--name', 'x', '--callback', 'webhook', '--json'])
    expect(j.code).toBe(2)
    expect(JSON.parse(j.stdout)).toMatchObject({status: false, code: 'missing_flags'})
  })

  it('store init validates answers and never half-writes', async () => {
    const dir = tempDir()
    const r = await runCli(['store', 'init', '--data-dir', dir, '--name', 'x', '--callback', 'get', '--callback-url', 'ftp://example.com', '--rate', 'abc', '--json'])
    expect(r.code).toBe(2)
    const body = JSON.parse(r.stdout) as {code: string; errors: {field: string}[]}
    expect(body.code).toBe('invalid_input')
    expect(body.errors.map((e) => e.field).sort()).toEqual(['callback.url', 'rate'])
    const list = await runCli(['store', 'list', '--data-dir', dir, '--json'])
    expect((JSON.parse(list.stdout) as {stores: unknown[]}).stores).toHaveLength(0)
  })

  it('store set changes only what is given; tx approve of a PENDING transfer is refused', async () => {
    const dir = tempDir()
    const init = await runCli(['store', 'init', '--data-dir', dir, '--name', 'Shop', '--callback', 'whmcs', '--whmcs-url', 'https://billing.example.com/', '--whmcs-identifier', 'ID1', '--whmcs-secret', 'S3CR3T', '--rate', '50.5', '--currency-label', 'USD', '--json'])
    expect(init.code).toBe(0)
    expect(init.stdout).not.toContain('S3CR3T')
    const set = await runCli(['store', 'set', '--data-dir', dir, '--anti-spam', '--hold-over', '5,000', '--json'])
    expect(set.code).toBe(0)
    const store = (JSON.parse(set.stdout) as {store: Record<string, unknown>}).store
    expect(store).toMatchObject({rate: '50.50', currency_label: 'USD', callback: {kind: 'whmcs', url: 'https://billing.example.com', identifier: 'ID1', secret_set: true}, anti_spam: {enabled: true, amount_over: '5000.00'}})
    const missing = await runCli(['tx', 'approve', 'tx_nope', '--data-dir', dir])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/no transaction with id tx_nope/)
  })
})
