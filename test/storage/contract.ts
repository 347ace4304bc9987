/**
 * The storage contract: what every ledger engine must do (SQLite today, PostgreSQL next).
 * Each engine's test file calls `storageContract(name, open)` with a factory of empty ledgers.
 */
import {describe, expect, it} from 'vitest'

import {transitionIntent} from '../../src/core/intents.js'
import {deviceId} from '../../src/core/devices.js'
import type {BalancePoint, DeviceContact, IntentRecord, SmsRecord, StoreRecord, TransactionRecord} from '../../src/core/model.js'
import {transition} from '../../src/core/transactions.js'
import {ConflictError, type Storage} from '../../src/storage/storage.js'

export const store = (id: string): StoreRecord => ({
  id, name: 'S', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', apiTokenHash: `a${id}`, deviceTokenHash: `d${id}`, signingSecret: 'whsec_x',
  callback: {kind: 'none'}, rate: '1', currencyLabel: 'EGP', antiSpam: {enabled: false, rules: {amountOver: null, firstPayment: false, failedChecksBefore: null, duplicatePending: true}},
  requireToken: false, allowIps: [], matchWindowMinutes: 60, mode: 'production', version: 0,
})

export const sms = (id: string, storeId: string, fingerprint = `fp_${id}`): SmsRecord => ({
  id, storeId, sender: 'VF-Cash', body: 'x', receivedAt: '2026-01-01T00:00:00.000Z', storedAt: '2026-01-01T00:00:00.000Z', fingerprint, outcome: 'receive', reason: null, source: 'api', transactionId: null, version: 0,
})

export const tx = (id: string, storeId: string, o: Partial<TransactionRecord> = {}): TransactionRecord => ({
  id, storeId, status: 'PENDING', provider: 'vodafone_cash', amount: 10_000, senderPhone: '01000000001', senderName: null, reference: null, balance: null, occurredAt: null,
  receivedAt: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', smsId: `sms_${id}`, userName: null, clientId: null, heldBy: [],
  audit: [{at: '2026-01-01T00:00:00.000Z', by: 'sms', from: null, to: 'PENDING', why: 'test'}], version: 0, ...o,
})

export const intent = (id: string, storeId: string, o: Partial<IntentRecord> = {}): IntentRecord => ({
  id, storeId, orderId: `order-${id}`, status: 'pending', amount: 10_000, expiresAt: '2026-01-01T00:30:00.000Z', returnUrl: null, metadata: null, customerPhone: null, payer: null,
  transactionId: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', audit: [], version: 0, ...o,
})

/** A claim as a check makes it: COMPLETED by `who`. */
const claimAs = (t: TransactionRecord, who: string) => transition(t, {to: 'COMPLETED', by: `check:${who}`, why: who, at: new Date('2026-01-01T00:01:00Z'), patch: {userName: who}})

/** `n` PENDING transfers of st_a (ids `<prefix>0`…), read back as a claim would read them. */
async function pendingTransfers(s: Storage, prefix: string, n: number): Promise<TransactionRecord[]> {
  for (let i = 0; i < n; i++) await s.commit({sms: [sms(`sms_${prefix}${i}`, 'st_a')], transactions: [tx(`${prefix}${i}`, 'st_a', {smsId: `sms_${prefix}${i}`})]})
  return Promise.all(Array.from({length: n}, async (_, i) => (await s.getTransaction(`${prefix}${i}`))!))
}

export function storageContract(name: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    it('stores and reads back every record kind, versions counting commits', async () => {
      const s = await open()
      const st = store('st_a')
      await s.commit({stores: [st]})
      expect(st.version).toBe(1)
      const m = sms('sms_t1', 'st_a')
      const t = tx('t1', 'st_a')
      await s.commit({sms: [m], transactions: [t]})
      expect((await s.getStore('st_a'))?.version).toBe(1)
      expect((await s.getTransaction('t1'))?.amount).toBe(10_000)
      expect((await s.findSmsByFingerprint('st_a', 'fp_sms_t1'))?.id).toBe('sms_t1')
      expect((await s.findStoreByDeviceTokenHash('dst_a'))?.id).toBe('st_a')
      expect((await s.findStoreByApiTokenHash('ast_a'))?.id).toBe('st_a')
      expect(await s.countTransactions()).toBe(1)
      expect(await s.countSms()).toBe(1)
      await s.close()
    })

    it('a claim is a conditional update: of two racing claims one wins, the other conflicts and changes nothing', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      await s.commit({sms: [sms('sms_t1', 'st_a')], transactions: [tx('t1', 'st_a')]})
      const read = (await s.getTransaction('t1'))!
      const a = claimAs(read, 'a')
      const b = claimAs(read, 'b')
      const results = await Promise.allSettled([s.commit({transactions: [a]}), s.commit({transactions: [b]})])
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError)
      const after = (await s.getTransaction('t1'))!
      expect(after.status).toBe('COMPLETED')
      expect(after.audit.filter((x) => x.to === 'COMPLETED')).toHaveLength(1)
      await s.close()
    })

    it('claims of several transfers committed at once all land; a racing second claim of one of them fails alone', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      const read = await pendingTransfers(s, 'c', 6)
      const commits = read.map((t, i) => s.commit({transactions: [claimAs(t, `u${i}`)]}))
      const rival = s.commit({transactions: [claimAs(read[2]!, 'rival')]})
      const results = await Promise.allSettled([...commits, rival])
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{i, reason: r.reason as unknown}] : []))
      expect(failed).toHaveLength(1)
      expect([2, 6]).toContain(failed[0]!.i)
      expect(failed[0]!.reason).toBeInstanceOf(ConflictError)
      for (let i = 0; i < 6; i++) {
        const t = (await s.getTransaction(`c${i}`))!
        expect(t.status).toBe('COMPLETED')
        expect(t.version).toBe(2)
        expect(t.audit.filter((x) => x.to === 'COMPLETED')).toHaveLength(1)
      }
      await s.close()
    })

    it('a claim\'s notification lands with its claim: the claim of a transfer already taken stores none, the claims beside it store theirs', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      const read = await pendingTransfers(s, 'k', 5)
      const note = (t: TransactionRecord, who: string) => ({
        id: `n_${t.id}_${who}`, storeId: 'st_a', transactionId: t.id, event: 'transaction.completed' as const, channel: 'get' as const, payload: {}, createdAt: '2026-01-01T00:01:00Z', signedAt: 0,
        state: 'pending' as const, attempts: [], nextAttemptAt: '2026-01-01T00:01:00Z', lastError: null, version: 0,
      })
      // Another instance took k3 first: this one's claim of k3 was made from a stale read.
      await s.commit({transactions: [claimAs(read[3]!, 'elsewhere')], notifications: [note(read[3]!, 'elsewhere')]})
      const results = await Promise.allSettled(read.map((t, i) => s.commit({transactions: [claimAs(t, `u${i}`)], notifications: [note(t, `u${i}`)]})))
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
      expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError)
      for (let i = 0; i < 5; i++) {
        const who = i === 3 ? 'elsewhere' : `u${i}`
        expect((await s.getTransaction(`k${i}`))!.userName).toBe(who)
        expect((await s.getNotification(`n_k${i}_${who}`))?.transactionId).toBe(`k${i}`)
      }
      expect(await s.getNotification('n_k3_u3')).toBeUndefined()
      expect((await s.dueNotifications(new Date('2026-01-02T00:00:00Z'), 100)).map((n) => n.id).sort()).toEqual(['n_k0_u0', 'n_k1_u1', 'n_k2_u2', 'n_k3_elsewhere', 'n_k4_u4'])
      await s.close()
    })

    it('SMS looked up by fingerprint at once each find their own, in their own store only', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a'), store('st_b')]})
      for (let i = 0; i < 6; i++) await s.commit({sms: [sms(`sms_f${i}`, i % 2 ? 'st_b' : 'st_a', `fp_${i}`)]})
      const asks = Array.from({length: 24}, (_, i) => ({store: i % 3 === 0 ? 'st_b' : 'st_a', fp: `fp_${i % 8}`}))
      const found = await Promise.all(asks.map((a) => s.findSmsByFingerprint(a.store, a.fp)))
      for (const [i, a] of asks.entries()) {
        const k = i % 8
        const expected = k < 6 && (k % 2 ? 'st_b' : 'st_a') === a.store ? `sms_f${k}` : undefined
        expect(found[i]?.id, `${a.store} ${a.fp}`).toBe(expected)
      }
      expect(found.filter(Boolean).length).toBeGreaterThan(4)
      await s.close()
    })

    it('one conflict in a group fails only its own batch', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      const ok = Array.from({length: 20}, (_, i) => s.commit({sms: [sms(`sms_ok${i}`, 'st_a')]}))
      const dup = s.commit({sms: [sms('sms_dup', 'st_a', 'fp_sms_ok3')]})
      // Which of the two racing writers of one fingerprint wins is not promised (SQLite: the
      // first queued; PostgreSQL: the first to commit); exactly one does, and nobody else fails.
      const results = await Promise.allSettled([...ok, dup])
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{i, reason: r.reason as unknown}] : []))
      expect(failed).toHaveLength(1)
      expect([3, 20]).toContain(failed[0]!.i)
      expect(failed[0]!.reason).toBeInstanceOf(ConflictError)
      expect(await s.countSms()).toBe(20)
      await s.close()
    })

    it('one SMS per fingerprint, one transaction per SMS, one credit per transaction', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      await s.commit({sms: [sms('sms_1', 'st_a', 'same')]})
      await expect(s.commit({sms: [sms('sms_2', 'st_a', 'same')]})).rejects.toBeInstanceOf(ConflictError)
      await s.commit({transactions: [tx('t1', 'st_a', {smsId: 'sms_1'})]})
      await expect(s.commit({transactions: [tx('t2', 'st_a', {smsId: 'sms_1'})]})).rejects.toBeInstanceOf(ConflictError)
      const credit = (id: string) => ({id, storeId: 'st_a', transactionId: 't1', clientId: '7', amount: '100.00', at: '2026-01-01T00:00:00.000Z', whmcsResponse: null, version: 0})
      await s.commit({credits: [credit('st_a:t1')]})
      await expect(s.commit({credits: [credit('other-id')]})).rejects.toBeInstanceOf(ConflictError)
      await s.close()
    })

    it('a stale version is refused', async () => {
      const s = await open()
      const st = store('st_a')
      await s.commit({stores: [st]})
      const r1 = (await s.getStore('st_a'))!
      const r2 = (await s.getStore('st_a'))!
      await s.commit({stores: [{...r1, name: 'first'}]})
      await expect(s.commit({stores: [{...r2, name: 'second'}]})).rejects.toBeInstanceOf(ConflictError)
      expect((await s.getStore('st_a'))?.name).toBe('first')
      await s.close()
    })

    it('pages over 3,000 transactions 7 at a time listing each exactly once, newest first', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      const base = Date.parse('2026-01-01T00:00:00Z')
      const batch: TransactionRecord[] = []
      for (let i = 0; i < 3000; i++) {
        // Many share a creation instant: the cursor must break ties, not skip or repeat them.
        const at = new Date(base + Math.floor(i / 13) * 1000).toISOString()
        batch.push(tx(`t${String(i).padStart(5, '0')}`, 'st_a', {createdAt: at, receivedAt: at, smsId: `sms_${i}`}))
      }
      for (let i = 0; i < batch.length; i += 500) await s.commit({transactions: batch.slice(i, i + 500)})
      const seen: string[] = []
      let cursor: string | undefined
      for (;;) {
        const page = await s.listTransactions({storeId: 'st_a', limit: 7, cursor})
        seen.push(...page.items.map((t) => t.id))
        if (!page.nextCursor) break
        cursor = page.nextCursor
      }
      expect(seen).toHaveLength(3000)
      expect(new Set(seen).size).toBe(3000)
      const times = seen.map((id) => Date.parse(batch.find((t) => t.id === id)!.createdAt))
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeLessThanOrEqual(times[i - 1]!)
      await s.close()
    })

    it('compares instants, not text: an offset time is the moment it names', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      // 12:30+02:00 is 10:30Z: before 11:00Z, although "12:30" sorts after "11:00" as text.
      await s.commit({transactions: [tx('t1', 'st_a', {receivedAt: '2026-01-01T12:30:00+02:00'})]})
      expect((await s.pendingReceivedBefore(new Date('2026-01-01T11:00:00Z'), 10)).map((t) => t.id)).toEqual(['t1'])
      expect(await s.pendingReceivedBefore(new Date('2026-01-01T10:00:00Z'), 10)).toEqual([])
      const page = await s.listTransactions({since: new Date('2026-01-01T00:00:00Z'), until: new Date('2026-01-01T00:00:01Z')})
      expect(page.items).toHaveLength(1)
      await s.close()
    })

    it('claims without a phone find only phoneless transfers of that store and amount, oldest first', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a'), store('st_b')]})
      await s.commit({transactions: [
        tx('t_late', 'st_a', {senderPhone: null, provider: 'instapay', receivedAt: '2026-01-01T10:00:00.000Z'}),
        tx('t_early', 'st_a', {senderPhone: null, provider: 'instapay', receivedAt: '2026-01-01T09:00:00.000Z'}),
        tx('t_phone', 'st_a'),
        tx('t_other_amount', 'st_a', {senderPhone: null, amount: 20_000}),
        tx('t_other_store', 'st_b', {senderPhone: null}),
      ]})
      expect((await s.phonelessByAmount('st_a', 10_000)).map((t) => t.id)).toEqual(['t_early', 't_late'])
      await s.close()
    })

    it('dashboard sessions: found by token hash, revoked once, all revoked at once', async () => {
      const s = await open()
      const session = (id: string, hash: string) => ({id, kind: 'session' as const, tokenHash: hash, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-08T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z', revoked: false, label: 'cli:test'})
      await s.insertSession(session('se_1', 'h1'))
      await s.insertSession(session('se_2', 'h2'))
      await expect(s.insertSession(session('se_3', 'h1'))).rejects.toBeDefined()
      expect(await s.findSessionByTokenHash('h1')).toMatchObject({id: 'se_1', revoked: false, label: 'cli:test'})
      expect(await s.revokeSession('se_1', new Date('2026-01-02T00:00:00Z'))).toBe(true)
      expect(await s.revokeSession('se_1', new Date('2026-01-02T00:00:00Z'))).toBe(false)
      expect((await s.findSessionByTokenHash('h1'))?.revoked).toBe(true)
      expect(await s.revokeAllSessions()).toBe(1)
      expect((await s.findSessionByTokenHash('h2'))?.revoked).toBe(true)
      await s.close()
    })

    it('due notifications come oldest due first; delivered ones never', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      const n = (id: string, due: string, state: 'pending' | 'delivered' = 'pending') => ({
        id, storeId: 'st_a', transactionId: 't1', event: 'transaction.completed' as const, channel: 'get' as const, payload: {}, createdAt: due, signedAt: 0, state, attempts: [], nextAttemptAt: due, lastError: null, version: 0,
      })
      await s.commit({notifications: [n('n2', '2026-01-01T00:02:00Z'), n('n1', '2026-01-01T00:01:00Z'), n('n3', '2026-01-01T00:00:30Z', 'delivered'), n('n4', '2026-01-01T09:00:00Z')]})
      expect((await s.dueNotifications(new Date('2026-01-01T00:05:00Z'), 10)).map((x) => x.id)).toEqual(['n1', 'n2'])
      await s.close()
    })

    it('a device contact is an upsert: new devices appear online, the newest contact wins, a late older one never moves it back', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a'), store('st_b')]})
      const contact = (name: string, at: string, o: Partial<DeviceContact> = {}): DeviceContact => ({storeId: 'st_a', name, kind: 'tail', at, ...o})
      // Two contacts of one device in one group, and an SMS in the same batch: no conflict.
      await Promise.all([
        s.commit({sms: [sms('sms_d1', 'st_a')], deviceContacts: [contact('adb:P1', '2026-01-01T00:05:00Z')]}),
        s.commit({deviceContacts: [contact('adb:P1', '2026-01-01T00:03:00Z', {phone: {state: 'locked', detail: null}, appVersion: 'vcash/1'})]}),
      ])
      await s.commit({deviceContacts: [contact('adb:P1', '2026-01-01T00:01:00Z')]})
      const d = (await s.getDevice(deviceId('st_a', 'adb:P1')))!
      expect(d).toMatchObject({name: 'adb:P1', storeId: 'st_a', kind: 'tail', state: 'online', lastContactAt: '2026-01-01T00:05:00.000Z', appVersion: 'vcash/1', phone: {state: 'locked'}})
      // An SMS's contact (no heartbeat words) keeps what the last heartbeat said.
      await s.commit({deviceContacts: [contact('adb:P1', '2026-01-01T00:06:00Z')]})
      expect((await s.getDevice(d.id))?.phone).toEqual({state: 'locked', detail: null})
      await s.commit({deviceContacts: [{...contact('api', '2026-01-01T00:02:00Z', {kind: 'api'}), storeId: 'st_b'}]})
      expect((await s.listDevices('st_a')).map((x) => x.name)).toEqual(['adb:P1'])
      expect((await s.listDevices()).map((x) => x.name)).toEqual(['adb:P1', 'api'])
      await s.close()
    })

    it('the silence sweep sees silent online devices and offline devices heard from again; a state change is version-checked', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a')]})
      const beat = {appVersion: null, phone: null}
      await s.commit({deviceContacts: [{storeId: 'st_a', name: 'old', kind: 'tail', at: '2026-01-01T00:00:00Z', ...beat}, {storeId: 'st_a', name: 'fresh', kind: 'api', at: '2026-01-01T01:00:00Z', ...beat}, {storeId: 'st_a', name: 'sms-only', kind: 'forwarder', at: '2026-01-01T00:00:00Z'}]})
      // A device that never beat (SMS only) is not watched for silence.
      const silent = await s.devicesToSweep(new Date('2026-01-01T00:30:00Z'), 10)
      expect(silent.map((d) => d.name)).toEqual(['old'])
      const off = {...silent[0]!, state: 'offline' as const, stateSince: '2026-01-01T00:31:00Z'}
      const stale = {...silent[0]!, state: 'offline' as const, stateSince: '2026-01-01T00:32:00Z'}
      await s.commit({devices: [off]})
      await expect(s.commit({devices: [stale]})).rejects.toBeInstanceOf(ConflictError)
      expect(await s.devicesToSweep(new Date('2026-01-01T00:30:00Z'), 10)).toEqual([])
      // Heard from again after it went offline: the sweep brings it back.
      await s.commit({deviceContacts: [{storeId: 'st_a', name: 'old', kind: 'tail', at: '2026-01-01T00:40:00Z'}]})
      const back = await s.devicesToSweep(new Date('2026-01-01T00:30:00Z'), 10)
      expect(back.map((d) => [d.name, d.state, d.lastContactAt])).toEqual([['old', 'offline', '2026-01-01T00:40:00.000Z']])
      await s.close()
    })

    it('the last balance of a chain at a time: by SMS time, per store and chain', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a'), store('st_b')]})
      const p = (id: string, at: string, balance: number, o: Partial<BalancePoint> = {}): BalancePoint => ({id, storeId: 'st_a', chain: 'vodafone', at, balance, source: 'receipt', smsId: null, transactionId: null, version: 0, ...o})
      await s.commit({balancePoints: [p('b2', '2026-01-01T00:02:00Z', 200), p('b1', '2026-01-01T00:01:00Z', 100), p('b3', '2026-01-01T00:03:00+02:00', 999), p('x', '2026-01-01T00:02:30Z', 5, {chain: 'bank:0130'}), p('y', '2026-01-01T00:02:30Z', 7, {storeId: 'st_b'})]})
      // 00:03+02:00 is 22:03Z the day before: the oldest point, whatever its text says.
      expect((await s.lastBalancePoint('st_a', 'vodafone', new Date('2026-01-01T00:00:30Z')))?.balance).toBe(999)
      expect((await s.lastBalancePoint('st_a', 'vodafone', new Date('2026-01-01T00:02:59Z')))?.balance).toBe(200)
      expect((await s.lastBalancePoint('st_a', 'vodafone', new Date('2026-01-01T00:01:00Z')))?.balance).toBe(100)
      expect((await s.lastBalancePoint('st_a', 'bank:0130', new Date('2026-01-01T09:00:00Z')))?.balance).toBe(5)
      expect(await s.lastBalancePoint('st_a', 'bank:9999', new Date('2026-01-01T09:00:00Z'))).toBeUndefined()
      expect(await s.lastBalancePoint('st_a', 'vodafone', new Date('2025-12-31T00:00:00Z'))).toBeUndefined()
      await s.close()
    })

    it('intents: one per order, found by id, order and transfer; a transfer pays one intent; a status change is conditional', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a'), store('st_b')]})
      await s.commit({intents: [intent('pi_a1', 'st_a'), intent('pi_b1', 'st_b', {orderId: 'order-pi_a1'})]})
      // The same order in the same store is refused; another store may use the same order id.
      await expect(s.commit({intents: [intent('pi_a2', 'st_a', {orderId: 'order-pi_a1'})]})).rejects.toBeInstanceOf(ConflictError)
      expect((await s.findIntentByOrderId('st_a', 'order-pi_a1'))?.id).toBe('pi_a1')
      expect((await s.findIntentByOrderId('st_b', 'order-pi_a1'))?.id).toBe('pi_b1')
      expect(await s.findIntentByOrderId('st_a', 'nope')).toBeUndefined()

      await s.commit({sms: [sms('sms_t1', 'st_a')], transactions: [tx('t1', 'st_a')]})
      await s.commit({intents: [intent('pi_a3', 'st_a')]})
      const a1 = (await s.getIntent('pi_a1'))!
      const a3 = (await s.getIntent('pi_a3'))!
      const at = new Date('2026-01-01T00:05:00Z')
      await s.commit({intents: [transitionIntent(a1, {to: 'paid', by: 't', why: 't', at, patch: {transactionId: 't1'}})]})
      // A second intent cannot record the same transfer: the unique key refuses it.
      await expect(s.commit({intents: [transitionIntent(a3, {to: 'paid', by: 't', why: 't', at, patch: {transactionId: 't1'}})]})).rejects.toBeInstanceOf(ConflictError)
      expect((await s.getIntent('pi_a3'))?.status).toBe('pending')
      expect((await s.findIntentByTransaction('t1'))?.id).toBe('pi_a1')

      // Of a claim and the expiry sweep racing from the same read, one wins.
      const read = (await s.getIntent('pi_a3'))!
      const results = await Promise.allSettled([
        s.commit({intents: [transitionIntent(read, {to: 'expired', by: 'system', why: 'late', at})]}),
        s.commit({intents: [transitionIntent(read, {to: 'cancelled', by: 'api', why: 'cancel', at})]}),
      ])
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
      const after = (await s.getIntent('pi_a3'))!
      expect(after.audit).toHaveLength(1)
      expect(after.version).toBe(2)
      await s.close()
    })

    it('intents: pending ones by amount oldest first, expiring ones soonest first, a store\'s list newest first', async () => {
      const s = await open()
      await s.commit({stores: [store('st_a'), store('st_b')]})
      await s.commit({intents: [
        intent('pi_1', 'st_a', {createdAt: '2026-01-01T00:02:00Z', expiresAt: '2026-01-01T01:00:00Z'}),
        intent('pi_2', 'st_a', {createdAt: '2026-01-01T00:01:00Z', expiresAt: '2026-01-01T00:20:00+02:00'}),
        intent('pi_3', 'st_a', {amount: 5_000, createdAt: '2026-01-01T00:03:00Z'}),
        intent('pi_4', 'st_b', {createdAt: '2026-01-01T00:00:00Z'}),
        intent('pi_5', 'st_a', {status: 'paid', createdAt: '2026-01-01T00:00:00Z', expiresAt: '2025-12-31T00:00:00Z'}),
      ]})
      expect((await s.pendingIntentsByAmount('st_a', 10_000)).map((i) => i.id)).toEqual(['pi_2', 'pi_1'])
      // Asked at once (receipts arriving together), each ask still gets its own store's and amount's, in order.
      const asks: [string, number][] = [['st_a', 10_000], ['st_b', 10_000], ['st_a', 5_000], ['st_b', 5_000], ['st_a', 7_000]]
      const together = await Promise.all([...asks, ...asks].map(([st, amount]) => s.pendingIntentsByAmount(st, amount)))
      expect(together.map((l) => l.map((i) => i.id))).toEqual([...Array(2)].flatMap(() => [['pi_2', 'pi_1'], ['pi_4'], ['pi_3'], [], []]))
      // 00:20+02:00 is 22:20Z the day before: an instant, not text.
      expect((await s.pendingIntentsExpiringBefore(new Date('2026-01-01T00:45:00Z'), 10)).map((i) => i.id)).toEqual(['pi_2', 'pi_3', 'pi_4'])
      expect((await s.pendingIntentsExpiringBefore(new Date('2026-01-01T00:45:00Z'), 1)).map((i) => i.id)).toEqual(['pi_2'])
      expect((await s.listIntents({storeId: 'st_a'})).map((i) => i.id)).toEqual(['pi_3', 'pi_1', 'pi_2', 'pi_5'])
      expect((await s.listIntents({storeId: 'st_a', status: 'paid'})).map((i) => i.id)).toEqual(['pi_5'])
      await s.close()
    })
  })
}
