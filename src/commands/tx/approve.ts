import os from 'node:os'

import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxApproveResult {
  transaction: TransactionView
}

export default class TxApprove extends BaseCommand {
  static override summary = 'Approve a transaction held by anti-spam (completes it and notifies the merchant)'
  static override examples = ['<%= config.bin %> tx approve tx_Ab12Cd34Ef56Gh78']
  static override args = {id: Args.string({description: 'Transaction id', required: true})}
  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<TxApproveResult> {
    const {args, flags} = await this.parse(TxApprove)
    const transaction = await this.withData(flags['data-dir'], async ({service}) => transactionView(await service.approve(args.id, `cli:${os.userInfo().username}`)))
    if (!this.jsonEnabled()) this.log(`${chalk.green('✓')} ${transaction.id} is now ${transaction.status}`)
    return {transaction}
  }
}
