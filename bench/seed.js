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

/** Write db.json holding `n` completed historical transfers, received over the past 90 days. */
export async function seedDataDir(dataDir, n) {
  fs.mkdirSync(dataDir, {recursive: true, mode: 0o700})
  const file = path.join(dataDir, 'db.json')
  const out = fs.createWriteStream(file)
  const write = (s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)))
  const now = Date.now()
  const iso = (ms) => new Date(ms).toISOString()
  await write(`{"format":1,"seq":0,"stores":[${JSON.stringify(store(iso(now - 91 * 86_400_000)))}],"notifications":[],"credits":[],"sms":[`)
  const txs = []
  for (let i = 0; i < n; i++) {
    const at = now - 90 * 86_400_000 + Math.floor((i / n) * 89 * 86_400_000)
    const phone = `010${String(10_000_000 + (i % 9_000_000)).padStart(8, '0')}`
    const amount = 1000 + (i % 500_000)
    const ref = String(100_000_000_000 + i)
    const smsId = `sms_seed${i.toString(36).padStart(8, '0')}`
    const txId = `tx_seed${i.toString(36).padStart(9, '0')}`
    const body = `تم استلام مبلغ ${amount / 100} جنيه من رقم ${phone} المسجل بإسم Seed Customer ${i} على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: ${ref}\n`
    const sms = {id: smsId, storeId: BENCH_TOKENS.storeId, sender: 'VF-Cash', body, receivedAt: iso(at), storedAt: iso(at), fingerprint: crypto.createHash('sha256').update(`seed${i}`).digest('hex'), outcome: 'receive', reason: null, source: 'seed', transactionId: txId, version: 1}
    await write(`${i ? ',' : ''}${JSON.stringify(sms)}`)
    txs.push({id: txId, at, phone, amount, ref, smsId})
  }
  await write('],"transactions":[')
  for (const [i, t] of txs.entries()) {
    const tx = {
      id: t.id, storeId: BENCH_TOKENS.storeId, status: 'COMPLETED', provider: 'vodafone_cash', amount: t.amount, senderPhone: t.phone, senderName: `Seed Customer ${i}`,
      reference: t.ref, balance: 611_666, occurredAt: null, receivedAt: iso(t.at), createdAt: iso(t.at), updatedAt: iso(t.at + 60_000), smsId: t.smsId,
      userName: String(i % 10_000), clientId: null, heldBy: [],
      audit: [{at: iso(t.at), by: 'sms:seed', from: null, to: 'PENDING', why: 'VF-R1 receipt from VF-Cash'}, {at: iso(t.at + 60_000), by: 'check:127.0.0.1', from: 'PENDING', to: 'COMPLETED', why: 'claimed'}],
      version: 2,
    }
    await write(`${i ? ',' : ''}${JSON.stringify(tx)}`)
  }
  await write(']}')
  await new Promise((r) => out.end(r))
  return file
}
