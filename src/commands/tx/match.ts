import os from 'node:os'

import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxMatchResult {
  transaction: TransactionView
}

export default class TxMatch extends BaseCommand {
  static override summary = 'Complete an unclaimed PENDING transfer for a named customer (notifies the merchant)'
  static override description = 'For a transfer whose customer never checked (or checked with a typo): the operator names who paid. It completes once, the audit trail names the operator, and the merchant is notified as for a claim (WHMCS stores credit that client). A bare `tx approve` applies only to transfers held by anti-spam.'
  static override examples = [
    '<%= config.bin %> tx match tx_Ab12Cd34Ef56Gh78 --user-name "Mona Ali (42)" --client-id 42',
    '<%= config.bin %> tx match tx_Ab12Cd34Ef56Gh78 --user-name customer-981 --json',
  ]
  static override args = {id: Args.string({description: 'Transaction id', required: true})}
  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    'user-name': Flags.string({summary: 'The customer, as the merchant\'s site names them (the check\'s user_name).'}),
    'client-id': Flags.string({summary: 'The WHMCS client id to credit (the check\'s client_id).'}),
    'order-id': Flags.string({summary: 'The merchant\'s order this payment is for.'}),
  }

  async run(): Promise<TxMatchResult> {
    const {args, flags} = await this.parse(TxMatch)
    const by = `cli:${os.userInfo().username}`
    const transaction = await this.withData(flags['data-dir'], async ({service}) =>
      transactionView(await service.match(args.id, {userName: flags['user-name'] ?? null, clientId: flags['client-id'] ?? null, orderId: flags['order-id'] ?? null}, by)))
    if (!this.jsonEnabled()) this.log(`${chalk.green('✓')} ${transaction.id} is now ${transaction.status} for ${transaction.user_name ?? flags['client-id']}`)
    return {transaction}
  }
}
