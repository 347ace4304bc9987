import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {parseLang} from '../../core/messages.js'
import {runningServer} from '../../io/admin-info.js'

export interface SimulateCheckResult {
  http_status: number
  answer: Record<string, unknown>
}

export default class SimulateCheck extends BaseCommand {
  static override summary = 'Ask payment_link_check as a merchant\'s site would, and show the answer'
  static override description = 'Calls GET /api/payment_link_check on --server or the running server that owns --data-dir (or, with no server, the data dir directly). Exits 0 only when the payment is confirmed (status true), 1 otherwise — handy in scripts.'
  static override examples = [
    '<%= config.bin %> simulate check --phone 01012345678 --amount 150 --user 42',
    '<%= config.bin %> simulate check --phone 01012345678 --amount 150 --user "Mona (42)" --client-id 42 --lang ar --json',
    '<%= config.bin %> simulate check --reference 1908287136 --amount 150 --user 42 --server http://127.0.0.1:8080 --store st_…',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    server: f.server,
    'api-token': Flags.string({summary: 'Send the store API token (stores that require one).', env: 'VCASH_API_TOKEN'}),
    phone: Flags.string({summary: 'The wallet phone the customer typed.'}),
    reference: Flags.string({summary: 'The wallet reference (for receipts without a payer phone).'}),
    amount: Flags.string({summary: 'The amount the customer typed (EGP).', required: true}),
    user: Flags.string({summary: 'user_name: who is claiming it (WHMCS: the client id or display name).'}),
    'client-id': Flags.string({summary: 'client_id (the WHMCS module sends it).'}),
    lang: Flags.string({summary: 'Language of the answer\'s message.', options: ['en', 'ar'], default: 'en'}),
  }

  async run(): Promise<SimulateCheckResult> {
    const {flags} = await this.parse(SimulateCheck)
    if (!flags.phone && !flags.reference) throw new VcashError('missing_flags', 'say what the customer typed', {suggestion: 'Pass --phone (or --reference for phone-less receipts).'})
    const q = new URLSearchParams({amount: flags.amount, lang: flags.lang})
    if (flags.phone) q.set('phone', flags.phone)
    if (flags.reference) q.set('reference', flags.reference)
    if (flags.user) q.set('user_name', flags.user)
    if (flags['client-id']) q.set('client_id', flags['client-id'])
    let result: SimulateCheckResult
    const url = flags.server ?? runningServer(flags['data-dir'])?.url
    if (url) {
      let storeId = flags.store
      if (!storeId && !flags.server) {
        const s = await this.withData(flags['data-dir'], async ({storage}) => storage.listStores())
        if (s.length === 1) storeId = s[0]!.id
      }
      if (!storeId) throw new VcashError('store_required', 'say which store', {suggestion: 'Pass --store.'})
      q.set('store_id', storeId)
      const res = await fetch(`${url}/api/payment_link_check?${q}`, {headers: flags['api-token'] ? {authorization: `Bearer ${flags['api-token']}`} : {}}).catch((error: Error) => {
        throw new VcashError('server_unreachable', `cannot reach ${url}: ${error.message}`, {exit: EXIT.unavailable})
      })
      result = {http_status: res.status, answer: (await res.json().catch(() => ({}))) as Record<string, unknown>}
    } else {
      result = await this.withData(flags['data-dir'], async ({service}) => {
          const store = await service.resolveStore(flags.store)
          const r = await service.check({storeId: store.id, phone: flags.phone ?? '', reference: flags.reference ?? null, amount: flags.amount, userName: flags.user ?? null, clientId: flags['client-id'] ?? null, lang: parseLang(flags.lang), ip: '127.0.0.1'})
          return {http_status: r.http, answer: r.body}
        })
    }
    const a = result.answer
    if (!this.jsonEnabled()) {
      const head = a.status === true ? chalk.green('✓ confirmed') : a.requires_verification ? chalk.yellow('… awaiting approval') : chalk.red(`✗ ${String(a.code ?? result.http_status)}`)
      this.log(`${head}  HTTP ${result.http_status}  ${String(a.message ?? '')}${a.transaction_id ? `  ${String(a.transaction_id)}` : ''}`)
    }
    if (a.status !== true) process.exitCode = EXIT.failure
    return result
  }
}
