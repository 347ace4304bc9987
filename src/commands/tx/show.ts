import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type TransactionView, transactionView} from '../../core/views.js'

export interface TxShowResult {
  transaction: TransactionView
}

export default class TxShow extends BaseCommand {
  static override summary = 'Show one transaction with its audit trail'
  static override examples = ['<%= config.bin %> tx show tx_Ab12Cd34Ef56Gh78', '<%= config.bin %> tx show tx_Ab12Cd34Ef56Gh78 --json']
  static override args = {id: Args.string({description: 'Transaction id', required: true})}
  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<TxShowResult> {
    const {args, flags} = await this.parse(TxShow)
    const transaction = await this.withData(flags['data-dir'], async ({service}) => transactionView(await service.requireTransaction(args.id)))
    if (!this.jsonEnabled()) {
      const t = transaction
      this.log(`${t.id}  ${t.status}  ${t.amount} EGP  from ${t.sender_phone ?? '(no phone)'} ${t.sender_name ?? ''}`)
      this.log(`provider ${t.provider}  reference ${t.reference ?? '-'}  received ${t.received_at}${t.user_name ? `  claimed by ${t.user_name}` : ''}`)
      if (t.held_by.length > 0) this.log(`held by anti-spam: ${t.held_by.join(', ')}`)
      for (const a of t.audit) this.log(`  ${a.at}  ${a.from ?? '-'} → ${a.to}  by ${a.by}: ${a.why}`)
    }
    return {transaction}
  }
}
