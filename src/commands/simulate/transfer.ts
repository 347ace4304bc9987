import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {err} from '../../cli/colour.js'
import * as f from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {PROVIDERS, type PayTo, type Provider} from '../../core/model.js'
import {parseMoney} from '../../core/money.js'
import {normalisePhone} from '../../core/phone.js'
import {parsePayTo, walletGateHint} from '../../simulate/pay-to.js'
import {ownWallet, renderReceipt} from '../../simulate/render.js'
import {transactionView} from '../../core/views.js'

export interface SimulateTransferResult {
  outcome: string
  sender: string
  body: string
  layout: string
  reference: string | null
  transaction: Record<string, unknown> | null
  /** Set when the server held the receipt at the receiving-wallet gate: why, and the flag that fixes it. */
  hint: string | null
}

export default class SimulateTransfer extends BaseCommand {
  static override summary = 'Pretend a customer sent money: render the wallet\'s real receipt SMS and ingest it'
  static override description = 'The SMS follows the provider\'s real layout (Vodafone Cash VF-R1, InstaPay VF-R5, e& money EA-R1, Orange Cash). It goes to --server (with --device-token), to the running server that owns --data-dir, or straight into the data dir. It is credited to the store\'s receiving wallet (its pay_to), read from the data dir; with --server alone, which a device token cannot read it from, name it with --pay-to.'
  static override examples = [
    '<%= config.bin %> simulate transfer --phone 01012345678 --amount 150',
    '<%= config.bin %> simulate transfer --phone 01012345678 --amount 3,050 --provider instapay --json',
    '<%= config.bin %> simulate transfer --phone 01012345678 --amount 99.50 --server http://127.0.0.1:8080 --device-token vd_…',
    '<%= config.bin %> simulate transfer --phone 01012345678 --amount 150 --server https://staging.example.com --device-token vd_… --pay-to vodafone_cash:01012345678',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    server: f.server,
    'device-token': Flags.string({summary: 'With --server: the store\'s device token.', env: 'VCASH_DEVICE_TOKEN'}),
    phone: Flags.string({summary: 'The payer\'s wallet phone.', required: true}),
    amount: Flags.string({summary: 'Amount in EGP (e.g. 150, 99.50, 1,000).', required: true}),
    provider: Flags.string({summary: 'Which wallet sent it.', options: [...PROVIDERS], default: 'vodafone_cash'}),
    lang: Flags.string({summary: 'SMS language, where the provider has both.', options: ['ar', 'en']}),
    'pay-to': f.simulatePayTo,
  }

  async run(): Promise<SimulateTransferResult> {
    const {flags} = await this.parse(SimulateTransfer)
    const phone = normalisePhone(flags.phone, '--phone')
    const amount = parseMoney(flags.amount, '--amount')
    if (amount <= 0) throw new VcashError('invalid_input', '--amount must be more than zero')
    const provider = flags.provider as Provider
    const given = flags['pay-to'] ? parsePayTo(flags['pay-to'], '--pay-to') : undefined
    // No made-up balance: it would contradict the store's balance chain and be held as suspicious.
    // Credited to the store's own wallet where we can read its pay_to (or are told it): a random one is held as foreign.
    const render = (payTo?: readonly PayTo[]) => renderReceipt({provider, phone, amount, lang: flags.lang as 'ar' | 'en' | undefined, balance: null, wallet: ownWallet(given ?? payTo, provider)})
    // Rendered before anything is opened, so a language the wallet never writes in fails first.
    let sms = render()
    let r: {outcome: string; transaction: Record<string, unknown> | null}
    if (flags.server) {
      if (!flags['device-token']) throw new VcashError('missing_flags', 'with --server, pass the store\'s --device-token', {suggestion: 'It was printed by `vcash store init` / the first `vcash serve`.'})
      const res = await fetch(`${flags.server}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${flags['device-token']}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: sms.sender, body: sms.body})}).catch((error: Error) => {
        throw new VcashError('server_unreachable', `cannot reach ${flags.server}: ${error.message}`, {exit: EXIT.unavailable})
      })
      const json = (await res.json().catch(() => ({}))) as {outcome?: string; transaction?: Record<string, unknown> | null; code?: string; message?: string}
      if (!res.ok) throw new VcashError(json.code ?? 'server_error', `the server answered ${res.status}: ${json.message ?? ''}`, {exit: EXIT.unavailable})
      r = {outcome: json.outcome ?? 'unknown', transaction: json.transaction ?? null}
    } else {
      const local = await this.withData(flags['data-dir'], async ({service}) => {
        const store = await service.resolveStore(flags.store)
        const sms = render(store.payTo)
        const out = await service.ingestSms(store, {sender: sms.sender, body: sms.body, source: 'simulate'})
        return {sms, r: {outcome: out.outcome, transaction: out.transaction ? {...transactionView(out.transaction)} : null}}
      })
      sms = local.sms
      r = local.r
    }
    const hint = walletGateHint(r.transaction?.holds, given)
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} ${sms.layout} ${provider} ${flags.amount} EGP from ${phone} → ${r.outcome}${r.transaction ? ` ${String(r.transaction.id)}` : ''}`)
      if (!sms.hasPhone) this.log(chalk.dim(`This layout has no payer phone: claim it with reference=${sms.reference}.`))
      if (hint) this.note(err.yellow(`The transfer was ${hint}`))
    }
    return {outcome: r.outcome, sender: sms.sender, body: sms.body, layout: sms.layout, reference: sms.reference || null, transaction: r.transaction, hint}
  }
}
