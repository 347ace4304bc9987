import fs from 'node:fs'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {csvField, renderCsv, renderTable} from '../../src/cli/table.js'
import {VF_R1} from '../support/vcash.js'
import {hermeticEnv, tempDir, vcash} from './spawn.js'

const N = 1203

describe('table and CSV rendering', () => {
  it('a header row, columns sized to content (Arabic and colour codes count by what shows)', () => {
    const rows = [{id: 'a', name: 'أحمد', n: '5.00'}, {id: 'bbbb', name: '\u001B[32mok\u001B[39m', n: '1250.50'}]
    const out = renderTable(rows, [{key: 'id', header: 'ID', get: (r) => r.id}, {key: 'n', header: 'AMOUNT', get: (r) => r.n, align: 'right'}, {key: 'name', header: 'NAME', get: (r) => r.name}])
    expect(out).toBe('ID     AMOUNT  NAME\na        5.00  أحمد\nbbbb  1250.50  \u001B[32mok\u001B[39m\n')
  })

  it('CSV per RFC 4180: CRLF, quotes doubled, fields with commas/quotes/newlines quoted, formulas defused', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('Ali, "the" payer')).toBe('"Ali, ""the"" payer"')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"')
    expect(csvField('+201012345678')).toBe('+201012345678')
    expect(csvField('-5.00')).toBe('-5.00')
    expect(csvField(null)).toBe('')
    expect(renderCsv([{a: 'x', b: null}], [{key: 'a', header: 'A', get: (r) => r.a}, {key: 'b', header: 'B', get: (r) => r.b}])).toBe('a,b\r\nx,\r\n')
  })
})

describe('list commands and tx export', () => {
  const dir = tempDir()
  const dataDir = path.join(dir, 'data')
  const env = hermeticEnv(dir)
  let storeId = ''
  const firstAt = Date.now()

  beforeAll(async () => {
    const l = await openLocal({dataDir, holder: 'test'})
    try {
      const {store} = await l.service.createStore({name: 'Shop, "Cairo"', callback: {kind: 'webhook', url: 'http://127.0.0.1:9/down'}, mode: 'development'})
      storeId = store.id
      for (let i = 0; i < N; i++) {
        const phone = `010${String(10_000_000 + i).padStart(8, '0')}`
        await l.service.ingestSms(store, {sender: 'VF-Cash', body: VF_R1(phone, `${100 + (i % 50)}.50`, String(100_000_000_000 + i)), receivedAt: new Date(firstAt - i * 1000).toISOString(), source: 'file'})
      }
    } finally {
      await l.close()
    }
  }, 120_000)

  it('tx list: labelled columns, --columns picks and orders them, unknown ones are a usage error', async () => {
    const r = await vcash(['tx', 'list', '--data-dir', dataDir, '--limit', '3'], {env})
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+AMOUNT \(EGP\)\s+PHONE\s+PROVIDER\s+REFERENCE\s+RECEIVED \(UTC\)\s+CUSTOMER$/)
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/^tx_\S+\s+PENDING\s+\d+\.50\s+010\d{8}\s+vodafone_cash/)
    expect(r.stderr).toMatch(/more: --cursor/)
    const picked = await vcash(['tx', 'list', '--data-dir', dataDir, '--limit', '2', '--columns', 'amount,id'], {env})
    expect(picked.stdout.split('\n')[0]).toMatch(/^AMOUNT \(EGP\)\s+ID$/)
    const bad = await vcash(['tx', 'list', '--data-dir', dataDir, '--columns', 'id,nope', '--json'], {env})
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout)).toMatchObject({status: false, code: 'invalid_flags', message: '--columns: unknown column "nope"'})
  })

  it('tx list --csv and callbacks list (table and --csv)', async () => {
    const csv = await vcash(['tx', 'list', '--data-dir', dataDir, '--limit', '5', '--csv', '--columns', 'id,amount,sender_name'], {env})
    expect(csv.stdout.split('\r\n')[0]).toBe('id,amount,sender_name')
    expect(csv.stdout.split('\r\n')[1]).toMatch(/^tx_\S+,\d+\.50,Ahmed S Example$/)
    const cb = await vcash(['callbacks', 'list', '--data-dir', dataDir, '--limit', '2'], {env})
    expect(cb.code, cb.stderr).toBe(0)
    expect(cb.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+CHANNEL\s+EVENT\s+TRANSACTION\s+ATTEMPTS\s+LAST ERROR$/)
    const cbCsv = await vcash(['callbacks', 'list', '--data-dir', dataDir, '--limit', '2', '--csv'], {env})
    expect(cbCsv.stdout.split('\r\n')[0]).toBe('id,state,channel,event,transaction_id,attempts,created_at,next_attempt_at,last_error,store_id')
    const stores = await vcash(['store', 'list', '--data-dir', dataDir], {env})
    expect(stores.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+CALLBACK\s+RATE\s+ANTI-SPAM\s+MODE$/)
    expect(stores.stdout).toContain('Shop, "Cairo"')
  })

  it('tx export --format csv: every transaction across pages, decimal money, UTC instants, RFC 4180', async () => {
    const out = path.join(dir, 'all.csv')
    const r = await vcash(['tx', 'export', '--data-dir', dataDir, '--out', out, '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({store_id: storeId, format: 'csv', transactions: N})
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    const text = fs.readFileSync(out, 'utf8')
    const rows = text.split('\r\n')
    expect(rows.at(-1)).toBe('')
    expect(rows[0]).toBe('id,store_id,status,amount,currency,provider,sender_phone,sender_name,reference,received_at,occurred_at,created_at,updated_at,user_name,client_id')
    expect(rows).toHaveLength(N + 2)
    expect(new Set(rows.slice(1, -1).map((l) => l.split(',')[0])).size).toBe(N)
    for (const l of rows.slice(1, 20)) {
      const c = l.split(',')
      expect(c[3]).toMatch(/^\d+\.50$/)
      expect(c[4]).toBe('EGP')
      expect(c[9]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    }
  })

  it('tx export --format json to stdout, limited to a time range', async () => {
    const all = await vcash(['tx', 'export', '--data-dir', dataDir, '--format', 'json'], {env})
    expect(all.code, all.stderr).toBe(0)
    const items = JSON.parse(all.stdout) as {id: string; amount: string; created_at: string}[]
    expect(items).toHaveLength(N)
    expect(typeof items[0]!.amount).toBe('string')
    // A range in the middle, by the export's own created_at values.
    const times = items.map((t) => Date.parse(t.created_at)).sort((a, b) => a - b)
    const since = new Date(times[100]!).toISOString()
    const until = new Date(times[300]!).toISOString()
    const part = await vcash(['tx', 'export', '--data-dir', dataDir, '--format', 'json', '--since', since, '--until', until], {env})
    const inRange = JSON.parse(part.stdout) as {created_at: string}[]
    expect(inRange.length).toBe(times.filter((t) => t >= times[100]! && t < times[300]!).length)
    expect(inRange.every((t) => Date.parse(t.created_at) >= Date.parse(since) && Date.parse(t.created_at) < Date.parse(until))).toBe(true)
    const empty = await vcash(['tx', 'export', '--data-dir', dataDir, '--format', 'json', '--since', '2000-01-01', '--until', '2000-01-02'], {env})
    expect(JSON.parse(empty.stdout)).toEqual([])
    const noOut = await vcash(['tx', 'export', '--data-dir', dataDir, '--json'], {env})
    expect(noOut.code).toBe(2)
  })
})
