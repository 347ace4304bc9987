import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {publicStore, settingsOf} from '../../core/store-settings.js'
import {answersFromFlags, answersToSettings} from '../../cli/store-flags.js'

export interface StoreSetResult {
  store: Record<string, unknown>
  token?: string
  device_token?: string
}

export default class StoreSet extends BaseCommand {
  static override summary = 'Change a store\'s settings'
  static override description = 'Only the flags you pass change; the result is validated as a whole before it is saved.'
  static override examples = [
    '<%= config.bin %> store set --rate 50.50 --currency-label USD',
    '<%= config.bin %> store set st_abc123 --anti-spam --hold-over 5000 --hold-first-payment',
    '<%= config.bin %> store set --allow-ip 203.0.113.7 --require-token',
    '<%= config.bin %> store set --rotate-tokens --json',
  ]

  static override args = {id: Args.string({description: 'Store id (default: the only store)'})}
  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    ...f.storeSettings,
    'rotate-tokens': Flags.boolean({summary: 'Issue a new API token and device token (the old ones stop working).'}),
  }

  async run(): Promise<StoreSetResult> {
    const {args, flags} = await this.parse(StoreSet)
    const answers = answersFromFlags(flags)
    const rotate = flags['rotate-tokens']
    const result = await this.withData(flags['data-dir'], async ({service}) => {
        const cur = await service.resolveStore(args.id)
        const patch = answersToSettings(answers, settingsOf(cur))
        let store = Object.keys(patch).length > 0 ? await service.updateStore(cur.id, patch) : cur
        let out: StoreSetResult = {store: publicStore(store)}
        if (rotate) {
          const r = await service.rotateTokens(store.id)
          store = r.store
          out = {store: publicStore(store), token: r.apiToken, device_token: r.deviceToken}
        }
        return out
      })
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Store ${String(result.store.id)} saved`)
      if (result.token) this.log(`New API token ${result.token}\nNew device token ${result.device_token}\n(shown once)`)
    }
    return result
  }
}
