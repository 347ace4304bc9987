import {confirm, input, password, select} from '@inquirer/prompts'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {VcashError} from '../../core/errors.js'
import {publicStore} from '../../core/store-settings.js'
import {answersFromFlags, answersToSettings, type StoreAnswers} from '../../cli/store-flags.js'

export interface StoreInitResult {
  id: string
  token: string
  device_token: string
  signing_secret: string
  store: Record<string, unknown>
}

export default class StoreInit extends BaseCommand {
  static override summary = 'Create a store (a setup wizard on a terminal, flags everywhere)'
  static override description = `Creates a merchant store and prints its id, API token, device token and signing secret ONCE.

On a terminal, asks for anything not given as a flag. Without a terminal (CI, scripts), --name and --callback are required, plus the flags that callback needs.`

  static override examples = [
    '<%= config.bin %> store init',
    '<%= config.bin %> store init --name "My shop" --callback none --json',
    '<%= config.bin %> store init --name "My panel" --callback webhook --callback-url https://example.com/vcash/webhook',
    '<%= config.bin %> store init --name Hosting --callback whmcs --whmcs-url https://billing.example.com --whmcs-identifier ID --whmcs-secret SECRET --rate 50.50 --currency-label USD',
    '<%= config.bin %> store init --name Shop --callback get --callback-url https://shop.example.com/vcash.php --anti-spam --hold-over 5000',
  ]

  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl, ...f.storeSettings}

  async run(): Promise<StoreInitResult> {
    const {flags} = await this.parse(StoreInit)
    const answers = this.canPrompt() ? await this.wizard(answersFromFlags(flags)) : requireAnswers(answersFromFlags(flags))
    const settings = {name: answers.name!, callback: {kind: 'none' as const}, ...answersToSettings(answers)}
    const result = await this.withData(flags['data-dir'], async ({service}) => {
        const r = await service.createStore(settings)
        return {id: r.store.id, token: r.apiToken, device_token: r.deviceToken, signing_secret: r.store.signingSecret, store: publicStore(r.store)}
      })
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Created store ${chalk.bold(result.id)} (${String(result.store.name)})`)
      this.log(chalk.yellow('These secrets are shown ONCE — save them now:'))
      this.log(`  API token       ${result.token}      (your backend: GET /api/transactions, approve/reject)`)
      this.log(`  device token    ${result.device_token}      (the wallet phone: vcash sms tail / forwarder app)`)
      this.log(`  signing secret  ${result.signing_secret}      (verify our callbacks)`)
      this.log(`Next: ${chalk.cyan('vcash serve')}, then point your site's check at /api/payment_link_check?store_id=${result.id}`)
    }
    return result
  }

  private async wizard(a: StoreAnswers): Promise<StoreAnswers> {
    const ctx = {output: process.stderr}
    const out: StoreAnswers = {...a}
    out.name ??= await input({message: 'Store name', required: true, validate: (v) => v.trim().length > 0 || 'Give it a name'}, ctx)
    out.callback ??= await select({
      message: 'How should vcash tell your site a payment was confirmed?',
      choices: [
        {name: 'WHMCS (AddCredit through the WHMCS API)', value: 'whmcs' as const},
        {name: 'Signed webhook (POST JSON, Standard Webhooks)', value: 'webhook' as const},
        {name: 'GET callback to a URL (signed query string)', value: 'get' as const},
        {name: 'None (my site asks payment_link_check and reads the answer)', value: 'none' as const},
      ],
    }, ctx)
    if (out.callback === 'whmcs') {
      out.whmcsUrl ??= await input({message: 'WHMCS base URL (e.g. https://billing.example.com)', required: true}, ctx)
      out.whmcsIdentifier ??= await input({message: 'WHMCS API identifier', required: true}, ctx)
      out.whmcsSecret ??= await password({message: 'WHMCS API secret', mask: '*'}, ctx)
      out.rate ??= await input({message: 'Rate: EGP per unit of your WHMCS currency', default: '1'}, ctx)
      out.currencyLabel ??= await input({message: 'Currency label (EGP, USD, USDT, عملة)', default: 'EGP'}, ctx)
    } else if (out.callback === 'webhook' || out.callback === 'get') {
      out.callbackUrl ??= await input({message: 'Callback URL', required: true}, ctx)
    }
    const url = out.callback === 'whmcs' ? out.whmcsUrl : out.callbackUrl
    if (url?.startsWith('http:') && out.mode === undefined) {
      const dev = await confirm({message: 'That URL is not https. Use development mode (allows http://localhost; not for production)?', default: true}, ctx)
      out.mode = dev ? 'development' : 'production'
    }
    out.antiSpam ??= await confirm({message: 'Turn on anti-spam (hold suspicious matches for your approval)?', default: false}, ctx)
    if (out.antiSpam && out.holdOver === undefined) {
      const v = await input({message: 'Hold transfers above this amount (EGP, empty for no limit)', default: ''}, ctx)
      if (v.trim()) out.holdOver = v.trim()
    }
    return out
  }
}

function requireAnswers(a: StoreAnswers): StoreAnswers {
  const missing: string[] = []
  if (!a.name) missing.push('--name')
  if (!a.callback) missing.push('--callback none|get|whmcs|webhook')
  if ((a.callback === 'get' || a.callback === 'webhook') && !a.callbackUrl) missing.push('--callback-url')
  if (a.callback === 'whmcs') {
    if (!a.whmcsUrl && !a.callbackUrl) missing.push('--whmcs-url')
    if (!a.whmcsIdentifier) missing.push('--whmcs-identifier')
    if (!a.whmcsSecret) missing.push('--whmcs-secret')
  }
  if (missing.length > 0) {
    throw new VcashError('missing_flags', `no terminal to ask on, and these answers are missing: ${missing.join(', ')}`, {
      suggestion: `Pass ${missing.join(' ')} (or run \`vcash store init\` in a terminal for the wizard).`,
    })
  }
  return a
}
