import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {parseSince} from '../../cli/since.js'
import type {TransactionStatus} from '../../core/model.js'
import {normalisePhone} from '../../core/phone.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxListResult {
  transactions: TransactionView[]
  next_cursor: string | null
}

const STATUS = ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED'] as const

export default class TxList extends BaseCommand {
  static override summary = 'List transactions, newest first'
  static override examples = [
    '<%= config.bin %> tx list',
    '<%= config.bin %> tx list --status AWAITING_APPROVAL',
    '<%= config.bin %> tx list --phone 01012345678 --since 2026-11-01T00:00:00Z --json',
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
  }

  async run(): Promise<TxListResult> {
    const {flags} = await this.parse(TxList)
    const phone = flags.phone ? normalisePhone(flags.phone, '--phone') : undefined
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    const result = await this.withData(flags['data-dir'], async ({storage}) => {
        const page = await storage.listTransactions({storeId: flags.store, status: flags.status as TransactionStatus | undefined, phone, since, limit: flags.limit, cursor: flags.cursor})
        return {transactions: page.items.map(transactionView), next_cursor: page.nextCursor}
      })
    if (!this.jsonEnabled()) {
      if (result.transactions.length === 0) this.log('No transactions.')
      for (const t of result.transactions) {
        const colour = t.status === 'COMPLETED' ? chalk.green : t.status === 'AWAITING_APPROVAL' ? chalk.yellow : t.status === 'PENDING' ? chalk.cyan : chalk.dim
        this.log(`${t.id}  ${colour(t.status.padEnd(17))} ${t.amount.padStart(10)} EGP  ${t.sender_phone ?? '-'.padEnd(11)}  ${t.provider.padEnd(13)}  ${t.reference ?? '-'}  ${t.received_at}${t.user_name ? `  ${t.user_name}` : ''}`)
      }
      if (result.next_cursor) this.log(chalk.dim(`more: --cursor '${result.next_cursor}'`))
    }
    return {transactions: result.transactions, next_cursor: result.next_cursor}
  }
}
