import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {err} from '../../cli/colour.js'
import * as f from '../../cli/flags.js'
import {parseSince} from '../../cli/since.js'
import {type Column, columnsFlag, csvFlag, pickColumns, renderCsv, renderTable} from '../../cli/table.js'
import type {TransactionStatus} from '../../core/model.js'
import {normalisePhone} from '../../core/phone.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxListResult {
  transactions: TransactionView[]
  next_cursor: string | null
}

const STATUS = ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED'] as const

function statusColour(status: string): (s: string) => string {
  return status === 'COMPLETED' ? chalk.green : status === 'AWAITING_APPROVAL' ? chalk.yellow : status === 'PENDING' ? chalk.cyan : chalk.dim
}

/** The columns of `tx list` (and their --columns keys: the --json field names). */
export const TX_COLUMNS: Column<TransactionView>[] = [
  {key: 'id', header: 'ID', get: (t) => t.id},
  {key: 'status', header: 'STATUS', get: (t) => t.status, colour: (s, t) => statusColour(t.status)(s)},
  {key: 'amount', header: 'AMOUNT (EGP)', get: (t) => t.amount, align: 'right'},
  {key: 'sender_phone', header: 'PHONE', get: (t) => t.sender_phone},
  {key: 'sender_name', header: 'NAME', get: (t) => t.sender_name, extra: true},
  {key: 'provider', header: 'PROVIDER', get: (t) => t.provider},
  {key: 'reference', header: 'REFERENCE', get: (t) => t.reference},
  {key: 'received_at', header: 'RECEIVED (UTC)', get: (t) => t.received_at},
  {key: 'user_name', header: 'CUSTOMER', get: (t) => t.user_name},
  {key: 'client_id', header: 'CLIENT', get: (t) => t.client_id, extra: true},
  {key: 'store_id', header: 'STORE', get: (t) => t.store_id, extra: true},
]

export default class TxList extends BaseCommand {
  static override summary = 'List transactions, newest first'
  static override examples = [
    '<%= config.bin %> tx list',
    '<%= config.bin %> tx list --status AWAITING_APPROVAL',
    '<%= config.bin %> tx list --phone 01012345678 --since 2026-11-01T00:00:00Z --json',
    '<%= config.bin %> tx list --columns id,status,amount,user_name',
    '<%= config.bin %> tx list --csv --limit 500 > transactions.csv',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    status: Flags.string({summary: 'Only this status.', options: [...STATUS]}),
    phone: Flags.string({summary: 'Only transfers from this wallet phone.'}),
    since: Flags.string({summary: 'Only transactions created at or after this ISO time.', helpValue: 'ISO_TIME'}),
    limit: Flags.integer({summary: 'At most this many.', default: 50, min: 1, max: 500}),
    cursor: Flags.string({summary: 'Continue after the page that returned this cursor.'}),
    columns: columnsFlag,
    csv: csvFlag,
  }

  async run(): Promise<TxListResult> {
    const {flags} = await this.parse(TxList)
    const phone = flags.phone ? normalisePhone(flags.phone, '--phone') : undefined
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    const columns = pickColumns(TX_COLUMNS, flags.columns, flags.csv)
    const result = await this.withData(flags['data-dir'], async ({storage}) => {
        const page = await storage.listTransactions({storeId: flags.store, status: flags.status as TransactionStatus | undefined, phone, since, limit: flags.limit, cursor: flags.cursor})
        return {transactions: page.items.map(transactionView), next_cursor: page.nextCursor}
      })
    if (flags.csv) process.stdout.write(renderCsv(result.transactions, columns))
    else if (!this.jsonEnabled()) {
      if (result.transactions.length === 0) this.log('No transactions.')
      else process.stdout.write(renderTable(result.transactions, columns, {header: chalk.bold}))
    }
    if (result.next_cursor && !this.jsonEnabled()) this.note(err.dim(`more: --cursor '${result.next_cursor}'`))
    return {transactions: result.transactions, next_cursor: result.next_cursor}
  }
}
