import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {parseSince} from '../../cli/since.js'
import {type CallbackView, listCallbacks} from '../../notify/admin.js'

export interface CallbacksListResult {
  callbacks: CallbackView[]
}

export default class CallbacksList extends BaseCommand {
  static override summary = 'List merchant notifications (the outbox) and their delivery state'
  static override examples = [
    '<%= config.bin %> callbacks list',
    '<%= config.bin %> callbacks list --state failed',
    '<%= config.bin %> callbacks list --transaction tx_Ab12Cd34Ef56Gh78 --json',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    state: Flags.string({summary: 'Only this delivery state.', options: ['pending', 'delivered', 'failed']}),
    transaction: Flags.string({summary: 'Only notifications about this transaction.'}),
    since: Flags.string({summary: 'Only notifications created at or after this ISO time.', helpValue: 'ISO_TIME'}),
    limit: Flags.integer({summary: 'At most this many.', default: 100, min: 1, max: 1000}),
  }

  async run(): Promise<CallbacksListResult> {
    const {flags} = await this.parse(CallbacksList)
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    const callbacks = await this.withData(flags['data-dir'], async ({storage}) => listCallbacks(storage, {state: flags.state as CallbackView['state'] | undefined, storeId: flags.store, transactionId: flags.transaction, since, limit: flags.limit}))
    if (!this.jsonEnabled()) {
      if (callbacks.length === 0) this.log('No notifications.')
      for (const n of callbacks) {
        const colour = n.state === 'delivered' ? chalk.green : n.state === 'failed' ? chalk.red : chalk.yellow
        this.log(`${n.id}  ${colour(n.state.padEnd(9))} ${n.channel.padEnd(7)} ${n.event.padEnd(31)} ${n.transaction_id}  attempts=${n.attempts.length}${n.last_error ? `  ${chalk.dim(n.last_error.slice(0, 80))}` : ''}`)
      }
    }
    return {callbacks}
  }
}
