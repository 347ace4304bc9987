import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {parseSince} from '../../cli/since.js'
import {type Column, columnsFlag, csvFlag, pickColumns, renderCsv, renderTable} from '../../cli/table.js'
import {type CallbackView, listCallbacks} from '../../notify/admin.js'

export interface CallbacksListResult {
  callbacks: CallbackView[]
}

export const CALLBACK_COLUMNS: Column<CallbackView>[] = [
  {key: 'id', header: 'ID', get: (n) => n.id},
  {key: 'state', header: 'STATE', get: (n) => n.state, colour: (s, n) => (n.state === 'delivered' ? chalk.green : n.state === 'failed' ? chalk.red : chalk.yellow)(s)},
  {key: 'channel', header: 'CHANNEL', get: (n) => n.channel},
  {key: 'event', header: 'EVENT', get: (n) => n.event},
  {key: 'transaction_id', header: 'TRANSACTION', get: (n) => n.transaction_id},
  {key: 'attempts', header: 'ATTEMPTS', get: (n) => n.attempts.length, align: 'right'},
  {key: 'created_at', header: 'CREATED (UTC)', get: (n) => n.created_at, extra: true},
  {key: 'next_attempt_at', header: 'NEXT ATTEMPT (UTC)', get: (n) => n.next_attempt_at, extra: true},
  {key: 'last_error', header: 'LAST ERROR', get: (n) => (n.last_error && n.last_error.length > 80 ? `${n.last_error.slice(0, 79)}…` : n.last_error), colour: (s) => chalk.dim(s)},
  {key: 'store_id', header: 'STORE', get: (n) => n.store_id, extra: true},
]

export default class CallbacksList extends BaseCommand {
  static override summary = 'List merchant notifications (the outbox) and their delivery state'
  static override examples = [
    '<%= config.bin %> callbacks list',
    '<%= config.bin %> callbacks list --state failed',
    '<%= config.bin %> callbacks list --transaction tx_Ab12Cd34Ef56Gh78 --json',
    '<%= config.bin %> callbacks list --state failed --columns id,event,transaction_id,last_error',
    '<%= config.bin %> callbacks list --csv --limit 1000 > callbacks.csv',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    state: Flags.string({summary: 'Only this delivery state.', options: ['pending', 'delivered', 'failed']}),
    transaction: Flags.string({summary: 'Only notifications about this transaction.'}),
    since: Flags.string({summary: 'Only notifications created at or after this ISO time.', helpValue: 'ISO_TIME'}),
    limit: Flags.integer({summary: 'At most this many.', default: 100, min: 1, max: 1000}),
    columns: columnsFlag,
    csv: csvFlag,
  }

  async run(): Promise<CallbacksListResult> {
    const {flags} = await this.parse(CallbacksList)
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    const columns = pickColumns(CALLBACK_COLUMNS, flags.columns, flags.csv)
    const callbacks = await this.withData(flags['data-dir'], async ({storage}) => listCallbacks(storage, {state: flags.state as CallbackView['state'] | undefined, storeId: flags.store, transactionId: flags.transaction, since, limit: flags.limit}))
    if (flags.csv) process.stdout.write(renderCsv(callbacks, columns))
    else if (!this.jsonEnabled()) {
      if (callbacks.length === 0) this.log('No notifications.')
      else process.stdout.write(renderTable(callbacks, columns, {header: chalk.bold}))
    }
    return {callbacks}
  }
}
