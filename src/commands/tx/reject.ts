import os from 'node:os'

import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxRejectResult {
  transaction: TransactionView
}

export default class TxReject extends BaseCommand {
  static override summary = 'Reject a transaction held by anti-spam'
  static override examples = ['<%= config.bin %> tx reject tx_Ab12Cd34Ef56Gh78', '<%= config.bin %> tx reject tx_Ab12Cd34Ef56Gh78 --reason "phone owner says not theirs" --json']
  static override args = {id: Args.string({description: 'Transaction id', required: true})}
  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl, reason: Flags.string({summary: 'Why (kept in the audit trail).'})}

  async run(): Promise<TxRejectResult> {
    const {args, flags} = await this.parse(TxReject)
    const transaction = await this.withData(flags['data-dir'], async ({service}) => transactionView(await service.reject(args.id, `cli:${os.userInfo().username}`, flags.reason ?? null)))
    if (!this.jsonEnabled()) this.log(`${chalk.green('✓')} ${transaction.id} is now ${transaction.status}`)
    return {transaction}
  }
}
