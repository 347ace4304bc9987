import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {SqliteStorage} from '../../src/storage/sqlite-storage.js'
import {runCli, spawnServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

/**
 * Drives ingests and checks concurrently against a real `vcash serve`, SIGKILLs it at random
 * moments, restarts it, and checks the promises the server made before each kill.
 */
describe('crash safety under SIGKILL', () => {
  it('keeps every acknowledged SMS and completion, completes nothing twice, queues every notification', async () => {
    const dir = tempDir()
    // The merchant's site: every event it is told about must be in the ledger afterwards.
    const told: {type: string; id: string; status: string; reference: string}[] = []
    const site = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        const e = JSON.parse(body) as {type: string; data: {id: string; status: string; reference: string}}
        told.push({type: e.type, id: e.data.id, status: e.data.status, reference: e.data.reference})
        res.end('ok')
      })
    })
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()))
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/hook`
    const init = await runCli(['store', 'init', '--data-dir', dir, '--name', 'Crash', '--callback', 'webhook', '--callback-url', siteUrl, '--mode', 'development', '--json'])
    expect(init.code).toBe(0)
    const store = JSON.parse(init.stdout) as {id: string; device_token: string}

    const acked = new Map<string, string>() // reference → transaction id (201/200 answers)
    const completed = new Map<string, {tx: string; user: string}>() // reference → what a check said
    let ref = 0
    const rounds = 5
    for (let round = 0; round < rounds; round++) {
      const srv = await spawnServe(dir)
      const url = srv.ready.url
      const stop = {now: false}
      const workers = Array.from({length: 8}, async (_, w) => {
        while (!stop.now) {
          const r = String(200_000_000_000 + ref++)
          const amount = String(10 + (Number(r) % 900))
          const phone = `0101${String(Number(r) % 10_000_000).padStart(7, '0')}`
          try {
            const res = await fetch(`${url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${store.device_token}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: VF_R1(phone, amount, r)})})
            if (res.status !== 201 && res.status !== 200) continue
            const json = (await res.json()) as {transaction: {id: string}}
            acked.set(r, json.transaction.id)
            if (w % 2 === 0) {
              const user = `u${r}`
              const c = await fetch(`${url}/api/payment_link_check?store_id=${store.id}&phone=${phone}&amount=${amount}&user_name=${user}`)
              const body = (await c.json()) as {status: boolean; transaction_id: string}
              if (body.status === true) completed.set(r, {tx: body.transaction_id, user})
            }
          } catch {
            // The server died mid-request: nothing was acknowledged for this one.
          }
        }
      })
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)))
      srv.child.kill('SIGKILL')
      stop.now = true
      await Promise.all(workers)
      await waitExit(srv.child)
      // The data dir always opens after a crash.
      const probe = new SqliteStorage({dataDir: dir})
      await probe.open()
      await probe.close()
    }
    expect(acked.size).toBeGreaterThan(20)
    expect(completed.size).toBeGreaterThan(5)

    const storage = new SqliteStorage({dataDir: dir})
    await storage.open()
    try {
      for (const [r, id] of acked) {
        const tx = (await storage.getTransaction(id))
        expect(tx, `acknowledged SMS ${r} lost`).toBeDefined()
        expect(tx!.reference).toBe(r)
      }
      for (const [r, c] of completed) {
        const tx = (await storage.getTransaction(c.tx))!
        expect(tx.status, `completion of ${r} lost`).toBe('COMPLETED')
        expect(tx.userName).toBe(c.user)
        expect(tx.audit.filter((a) => a.to === 'COMPLETED')).toHaveLength(1)
        const events = (await storage.listNotifications({transactionId: tx.id})).map((n) => n.event)
        expect(events, `no completion notification for ${tx.id}`).toContain('transaction.completed')
      }
      // Nothing completed twice, and nothing completed that no check was told about twice.
      const txIds = new Set<string>()
      const every = []
      for (let cursor: string | null | undefined; ; ) {
        const page = (await storage.listTransactions({storeId: store.id, limit: 500, cursor: cursor ?? undefined}))
        every.push(...page.items)
        if (!page.nextCursor) break
        cursor = page.nextCursor
      }
      expect(every.length).toBe((await storage.countTransactions()))
      for (const t of every) {
        expect(txIds.has(t.id)).toBe(false)
        txIds.add(t.id)
        expect(t.audit.filter((a) => a.to === 'COMPLETED').length).toBeLessThanOrEqual(1)
      }
      // Nothing the merchant was told about is missing or different in the ledger: no
      // completion a crash undid, no second transaction for one transfer.
      expect(told.length).toBeGreaterThan(0)
      const byReference = new Map<string, string>()
      for (const e of told) {
        const tx = await storage.getTransaction(e.id)
        expect(tx, `the merchant was told about ${e.id}, which is not stored`).toBeDefined()
        if (e.type === 'transaction.completed') expect(tx!.status).toBe('COMPLETED')
        const seen = byReference.get(e.reference)
        expect(seen === undefined || seen === e.id, `two transactions for transfer ${e.reference}`).toBe(true)
        byReference.set(e.reference, e.id)
      }
      expect(fs.statSync(path.join(dir, 'vcash.db')).mode & 0o777).toBe(0o600)
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    } finally {
      await storage.close()
      site.close()
    }
  }, 120_000)
})
