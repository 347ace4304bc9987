import fs from 'node:fs'
import {once} from 'node:events'
import type {Writable} from 'node:stream'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {parseSince} from '../../cli/since.js'
import {type Column, csvHeader, csvRow} from '../../cli/table.js'
import {EXIT, VcashError} from '../../core/errors.js'
import type {TransactionStatus} from '../../core/model.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxExportResult {
  store_id: string
  format: 'csv' | 'json'
  /** Where the rows went: a file, or "-" for stdout. */
  out: string
  transactions: number
  since: string | null
  until: string | null
}

const PAGE = 500

/** An instant as ISO-8601 UTC, whatever offset it was stored or written with. */
function utc(s: string | null): string | null {
  if (s === null) return null
  const t = Date.parse(s)
  return Number.isNaN(t) ? s : new Date(t).toISOString()
}

/** What an accountant needs per transfer: money as decimal strings, instants in UTC. */
const EXPORT_COLUMNS: Column<TransactionView>[] = [
  {key: 'id', header: 'id', get: (t) => t.id},
  {key: 'store_id', header: 'store_id', get: (t) => t.store_id},
  {key: 'status', header: 'status', get: (t) => t.status},
  {key: 'amount', header: 'amount', get: (t) => t.amount},
  {key: 'currency', header: 'currency', get: () => 'EGP'},
  {key: 'provider', header: 'provider', get: (t) => t.provider},
  {key: 'sender_phone', header: 'sender_phone', get: (t) => t.sender_phone},
  {key: 'sender_name', header: 'sender_name', get: (t) => t.sender_name},
  {key: 'reference', header: 'reference', get: (t) => t.reference},
  {key: 'received_at', header: 'received_at', get: (t) => utc(t.received_at)},
  {key: 'occurred_at', header: 'occurred_at', get: (t) => utc(t.occurred_at)},
  {key: 'created_at', header: 'created_at', get: (t) => utc(t.created_at)},
  {key: 'updated_at', header: 'updated_at', get: (t) => utc(t.updated_at)},
  {key: 'user_name', header: 'user_name', get: (t) => t.user_name},
  {key: 'client_id', header: 'client_id', get: (t) => t.client_id},
]

function exportRecord(t: TransactionView): Record<string, string | null> {
  return Object.fromEntries(EXPORT_COLUMNS.map((c) => {
    const v = c.get(t)
    return [c.key, v === null || v === undefined ? null : String(v)]
  }))
}

/** Write with backpressure: pages are read only as fast as the reader takes them. */
async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}

export default class TxExport extends BaseCommand {
  static override summary = 'Export a store\'s transactions in a time range as CSV or JSON (for the accountant)'
  static override description = `Streams every transaction of the store created in [--since, --until), newest first, page by page (no size limit): amounts as decimal strings in EGP ("1250.50"), instants as ISO-8601 UTC, CSV per RFC 4180 (header row, CRLF, fields quoted where needed; text a spreadsheet would run as a formula is prefixed with an apostrophe). JSON is one array of objects with the same fields.

The rows go to stdout, or to --out FILE. With --json, the rows must go to --out and stdout gets a summary.`

  static override examples = [
    '<%= config.bin %> tx export --since 2026-11-01 --until 2026-12-01 > november.csv',
    '<%= config.bin %> tx export --format json --status COMPLETED --since 30d --out completed.json',
    '<%= config.bin %> tx export --store st_Ab12Cd34 --out all.csv --json',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    format: Flags.string({summary: 'csv (RFC 4180) or json (an array).', options: ['csv', 'json'], default: 'csv'}),
    since: Flags.string({summary: 'From this date/time (inclusive; a date is local midnight), or a duration back (30d).', helpValue: 'ISO_TIME'}),
    until: Flags.string({summary: 'Up to this date/time (exclusive).', helpValue: 'ISO_TIME'}),
    status: Flags.string({summary: 'Only this status.', options: ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED']}),
    out: Flags.string({summary: 'Write to this file (created 0600) instead of stdout.', helpValue: 'FILE'}),
  }

  async run(): Promise<TxExportResult> {
    const {flags} = await this.parse(TxExport)
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    let until: Date | undefined
    try {
      until = flags.until === undefined ? undefined : parseSince(flags.until)
    } catch (error) {
      throw new VcashError('invalid_input', (error as VcashError).message.replace('--since', '--until'), {exit: EXIT.usage, suggestion: (error as VcashError).suggestion})
    }
    if (since && until && until <= since) throw new VcashError('invalid_input', '--until must be after --since', {exit: EXIT.usage, suggestion: 'e.g. --since 2026-11-01 --until 2026-12-01'})
    if (this.jsonEnabled() && !flags.out) throw new VcashError('invalid_flags', 'with --json, stdout carries the summary: the rows need --out FILE', {exit: EXIT.usage, suggestion: 'Add --out transactions.csv, or drop --json.'})
    const format = flags.format as 'csv' | 'json'
    return this.withData(flags['data-dir'], async ({service, storage}) => {
      const store = await service.resolveStore(flags.store)
      const file = flags.out ? fs.createWriteStream(flags.out, {mode: 0o600}) : null
      const stream: Writable = file ?? process.stdout
      if (file) await once(file, 'open')
      let n = 0
      try {
        await write(stream, format === 'csv' ? csvHeader(EXPORT_COLUMNS) : '[')
        let cursor: string | undefined
        do {
          const page = await storage.listTransactions({storeId: store.id, status: flags.status as TransactionStatus | undefined, since, until, limit: PAGE, cursor})
          let chunk = ''
          for (const t of page.items) {
            const v = transactionView(t)
            chunk += format === 'csv' ? csvRow(EXPORT_COLUMNS.map((c) => c.get(v))) : `${n === 0 ? '\n' : ',\n'}${JSON.stringify(exportRecord(v))}`
            n++
          }
          if (chunk) await write(stream, chunk)
          cursor = page.nextCursor ?? undefined
        } while (cursor)
        if (format === 'json') await write(stream, n === 0 ? ']\n' : '\n]\n')
      } finally {
        if (file) {
          file.end()
          await once(file, 'close')
        }
      }
      if (!this.jsonEnabled()) this.note(`Exported ${n} transaction(s) of ${store.id}${flags.out ? ` to ${flags.out}` : ''}.`)
      return {store_id: store.id, format, out: flags.out ?? '-', transactions: n, since: since?.toISOString() ?? null, until: until?.toISOString() ?? null}
    })
  }
}
