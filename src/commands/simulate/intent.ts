import crypto from 'node:crypto'

import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {intentView, type IntentView} from '../../core/intents.js'
import {PROVIDERS, type Provider} from '../../core/model.js'
import {parseMoney} from '../../core/money.js'
import {normalisePhone} from '../../core/phone.js'
import {runningServer} from '../../io/admin-info.js'
import {ownWallet, renderReceipt} from '../../simulate/render.js'

export interface SimulateIntentResult {
  intent: IntentView
  /** With --pay-from: the simulated transfer's id, and what the claim did. */
  transaction_id: string | null
  claim: string | null
}

export default class SimulateIntent extends BaseCommand {
  static override summary = 'Create a payment intent (a checkout page) and, with --pay-from, pay it as a customer would'
  static override description = 'Creates the intent in the data dir (beside a running `vcash serve`, which shows its page at checkout_url). With --pay-from the wallet\'s receipt SMS is ingested and the payer\'s phone claimed, exactly as the checkout page does; without it, open checkout_url, type a phone, and send the money with `vcash simulate transfer`.'
  static override examples = [
    '<%= config.bin %> simulate intent --amount 150',
    '<%= config.bin %> simulate intent --amount 150 --order-id A-1001 --return-url http://localhost:3000/thanks',
    '<%= config.bin %> simulate intent --amount 99.50 --pay-from 01012345678 --json',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    store: f.store,
    amount: Flags.string({summary: 'What the order costs, in EGP (e.g. 150, 99.50).', required: true}),
    'order-id': Flags.string({summary: 'The merchant\'s order id (default: a new sim-… id). The same id twice answers the same intent.'}),
    'expires-in': Flags.integer({summary: 'Minutes the customer has to pay.', default: 30, min: 1, max: 7 * 24 * 60}),
    'return-url': Flags.string({summary: 'Where the page sends the customer once paid (signed; docs/checkout.md).'}),
    'pay-from': Flags.string({summary: 'Pay it now: the payer\'s wallet phone (a receipt SMS is simulated and claimed).'}),
    provider: Flags.string({summary: 'With --pay-from: which wallet the money comes from.', options: [...PROVIDERS], default: 'vodafone_cash'}),
  }

  async run(): Promise<SimulateIntentResult> {
    const {flags} = await this.parse(SimulateIntent)
    const amount = parseMoney(flags.amount, '--amount')
    const payFrom = flags['pay-from'] ? normalisePhone(flags['pay-from'], '--pay-from') : null
    const base = runningServer(flags['data-dir'])?.url ?? 'http://127.0.0.1:8080'
    const result = await this.withData(flags['data-dir'], async ({service}) => {
      const store = await service.resolveStore(flags.store)
      let {intent} = await service.createIntent({
        storeId: store.id, amount: flags.amount, orderId: flags['order-id'] ?? `sim-${crypto.randomBytes(4).toString('hex')}`, expiresInMinutes: flags['expires-in'],
        returnUrl: flags['return-url'] ?? null, by: 'cli:simulate',
      })
      let transactionId: string | null = null
      let claim: string | null = null
      if (payFrom) {
        const sms = renderReceipt({provider: flags.provider as Provider, phone: payFrom, amount, wallet: ownWallet(store.payTo, flags.provider as Provider)})
        const got = await service.ingestSms(store, {sender: sms.sender, body: sms.body, source: 'simulate'})
        transactionId = got.transaction?.id ?? null
        const r = await service.claimIntent({intentId: intent.id, phone: sms.hasPhone ? payFrom : null, reference: sms.hasPhone ? null : sms.reference, by: 'cli:simulate'})
        claim = r.outcome
        intent = r.intent
      }
      return {intent: intentView(intent, store.payTo ?? [], base), transaction_id: transactionId, claim}
    })
    if (!this.jsonEnabled()) {
      const i = result.intent
      this.log(`${chalk.green('✓')} intent ${i.id}  ${i.amount} EGP  order ${i.order_id}  ${i.status}`)
      this.log(`  checkout page: ${chalk.cyan(i.checkout_url)}`)
      if (i.pay_to.length === 0) this.log(chalk.yellow('  The store has no receiving wallet: set one with `vcash store set --pay-to vodafone_cash:01…`.'))
      if (result.claim) this.log(`  paid from ${payFrom}: ${result.claim}${result.transaction_id ? ` (${result.transaction_id})` : ''}`)
    }
    return result
  }
}
