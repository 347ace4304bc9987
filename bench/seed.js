// Pre-fills a data dir with N historical transactions (and their SMS) in the embedded store's
// on-disk format, fast: streamed straight into db.json instead of N API calls.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {hashToken} from '../dist/lib/secrets.js'

export const BENCH_TOKENS = {storeId: 'st_benchstore01', apiToken: 'vk_bench_api_token_0123456789abcdef', deviceToken: 'vd_bench_device_token_0123456789abcd'}

function store(now) {
  return {
    id: BENCH_TOKENS.storeId, name: 'Bench store', createdAt: now, updatedAt: now,
    apiTokenHash: hashToken(BENCH_TOKENS.apiToken), deviceTokenHash: hashToken(BENCH_TOKENS.deviceToken),
    signingSecret: `whsec_${crypto.randomBytes(24).toString('base64')}`,
    callback: {kind: 'none'}, rate: '1', currencyLabel: 'EGP',
    antiSpam: {enabled: false, rules: {amountOver: null, firstPayment: false, failedChecksBefore: null, duplicatePending: true}},
    requireToken: false, allowIps: [], matchWindowMinutes: 1440, mode: 'production', forwarderSigningKey: null, version: 1,
  }
}

/**
 * Write `n` completed historical transfers received over the past 90 days. Settled history
 * lives where the store keeps it: the append-only archives (db.json holds only the store).
 */
export async function seedDataDir(dataDir, n) {
  fs.mkdirSync(dataDir, {recursive: true, mode: 0o700})
  const now = Date.now()
  const iso = (ms) => new Date(ms).toISOString()
  fs.writeFileSync(path.join(dataDir, 'db.json'), JSON.stringify({format: 1, seq: 0, stores: [store(iso(now - 91 * 86_400_000))], sms: [], transactions: [], notifications: [], credits: []}))
  const smsOut = fs.createWriteStream(path.join(dataDir, 'archive-sms.ndjson'))
  const txOut = fs.createWriteStream(path.join(dataDir, 'archive-transactions.ndjson'))
  const write = (out, s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)))
  for (let i = 0; i < n; i++) {
    const at = now - 90 * 86_400_000 + Math.floor((i / n) * 89 * 86_400_000)
    const phone = `010${String(10_000_000 + (i % 9_000_000)).padStart(8, '0')}`
    const amount = 1000 + (i % 500_000)
    const ref = String(100_000_000_000 + i)
    const smsId = `sms_seed${i.toString(36).padStart(8, '0')}`
    const txId = `tx_seed${i.toString(36).padStart(9, '0')}`
    const body = `تم استلام مبلغ ${amount / 100} جنيه من رقم ${phone} المسجل بإسم Seed Customer ${i} على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: ${ref}\n`
    const sms = {id: smsId, storeId: BENCH_TOKENS.storeId, sender: 'VF-Cash', body, receivedAt: iso(at), storedAt: iso(at), fingerprint: crypto.createHash('sha256').update(`seed${i}`).digest('hex'), outcome: 'receive', reason: null, source: 'seed', transactionId: txId, version: 1}
    const tx = {
      id: txId, storeId: BENCH_TOKENS.storeId, status: 'COMPLETED', provider: 'vodafone_cash', amount, senderPhone: phone, senderName: `Seed Customer ${i}`,
      reference: ref, balance: 611_666, occurredAt: null, receivedAt: iso(at), createdAt: iso(at), updatedAt: iso(at + 60_000), smsId,
      userName: String(i % 10_000), clientId: null, heldBy: [],
      audit: [{at: iso(at), by: 'sms:seed', from: null, to: 'PENDING', why: 'VF-R1 receipt from VF-Cash'}, {at: iso(at + 60_000), by: 'check:127.0.0.1', from: 'PENDING', to: 'COMPLETED', why: 'claimed'}],
      version: 2,
    }
    await write(smsOut, `${JSON.stringify(sms)}\n`)
    await write(txOut, `${JSON.stringify(tx)}\n`)
  }
  await Promise.all([new Promise((r) => smsOut.end(r)), new Promise((r) => txOut.end(r))])
  return dataDir
}
