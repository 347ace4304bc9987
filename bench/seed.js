// Pre-fills a data dir with N historical transactions (and their SMS) in the ledger, fast:
// the schema is made by vcash itself (SqliteStorage.open), then rows go straight in with one
// prepared statement per table inside one transaction, instead of N API calls.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import BetterSqlite3 from 'better-sqlite3'

import {hashToken} from '../dist/core/secrets.js'
import {SqliteStorage} from '../dist/storage/sqlite-storage.js'

export const BENCH_TOKENS = {storeId: 'st_benchstore01', apiToken: 'vk_bench_api_token_0123456789abcdef', deviceToken: 'vd_bench_device_token_0123456789abcd'}

function store(now) {
  return {
    id: BENCH_TOKENS.storeId, name: 'Bench store', createdAt: now, updatedAt: now,
    apiTokenHash: hashToken(BENCH_TOKENS.apiToken), deviceTokenHash: hashToken(BENCH_TOKENS.deviceToken),
    signingSecret: `whsec_${crypto.randomBytes(24).toString('base64')}`,
    callback: {kind: 'none'}, rate: '1', currencyLabel: 'EGP',
    antiSpam: {enabled: false, rules: {amountOver: null, firstPayment: false, failedChecksBefore: null, duplicatePending: true}},
    requireToken: false, allowIps: [], matchWindowMinutes: 1440, mode: 'production', forwarderSigningKey: null, version: 0,
  }
}

/** Write `n` completed historical transfers received over the past 90 days. */
export async function seedDataDir(dataDir, n) {
  const now = Date.now()
  const iso = (ms) => new Date(ms).toISOString()
  const ledger = new SqliteStorage({dataDir})
  await ledger.open()
  await ledger.commit({stores: [store(iso(now - 91 * 86_400_000))]})
  await ledger.close()
  const db = new BetterSqlite3(path.join(dataDir, 'vcash.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF') // a seed, not a ledger write: it is thrown away if the run dies
  const insSms = db.prepare('insert into sms (id, store_id, fingerprint, received_at, stored_at, transaction_id, version, data) values (?, ?, ?, ?, ?, ?, 1, ?)')
  const insTx = db.prepare('insert into transactions (id, store_id, status, sender_phone, amount, reference, received_at, created_at, updated_at, sms_id, version, data) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, ?)')
  const chunk = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const at = now - 90 * 86_400_000 + Math.floor((i / n) * 89 * 86_400_000)
      const phone = `010${String(10_000_000 + (i % 9_000_000)).padStart(8, '0')}`
      const amount = 1000 + (i % 500_000)
      const ref = String(100_000_000_000 + i)
      const smsId = `sms_seed${i.toString(36).padStart(8, '0')}`
      const txId = `tx_seed${i.toString(36).padStart(9, '0')}`
      const body = `تم استلام مبلغ ${amount / 100} جنيه من رقم ${phone} المسجل بإسم Seed Customer ${i} على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: ${ref}\n`
      const fingerprint = crypto.createHash('sha256').update(`seed${i}`).digest('hex')
      const sms = {id: smsId, storeId: BENCH_TOKENS.storeId, sender: 'VF-Cash', body, receivedAt: iso(at), storedAt: iso(at), fingerprint, outcome: 'receive', reason: null, source: 'seed', transactionId: txId}
      const tx = {
        id: txId, storeId: BENCH_TOKENS.storeId, status: 'COMPLETED', provider: 'vodafone_cash', amount, senderPhone: phone, senderName: `Seed Customer ${i}`,
        reference: ref, balance: 611_666, occurredAt: null, receivedAt: iso(at), createdAt: iso(at), updatedAt: iso(at + 60_000), smsId,
        userName: String(i % 10_000), clientId: null, heldBy: [], confirmedAt: iso(at + 60_000),
        audit: [{at: iso(at), by: 'sms:seed', from: null, to: 'PENDING', why: 'VF-R1 receipt from VF-Cash'}, {at: iso(at + 60_000), by: 'check:127.0.0.1', from: 'PENDING', to: 'COMPLETED', why: 'claimed'}],
      }
      insSms.run(smsId, BENCH_TOKENS.storeId, fingerprint, at, at, txId, JSON.stringify(sms))
      insTx.run(txId, BENCH_TOKENS.storeId, 'COMPLETED', phone, amount, ref, at, at, at + 60_000, smsId, JSON.stringify(tx))
    }
  })
  for (let i = 0; i < n; i += 50_000) chunk(i, Math.min(n, i + 50_000))
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  fs.chmodSync(path.join(dataDir, 'vcash.db'), 0o600)
  return dataDir
}
