import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {publicStore} from '../../core/store-settings.js'

export interface StoreShowResult {
  store: Record<string, unknown>
  signing_secret?: string
}

export default class StoreShow extends BaseCommand {
  static override summary = 'Show a store\'s settings (secrets hidden)'
  static override examples = ['<%= config.bin %> store show st_abc123', '<%= config.bin %> store show --json', '<%= config.bin %> store show st_abc123 --show-signing-secret']
  static override args = {id: Args.string({description: 'Store id (default: the only store)'})}
  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    'show-signing-secret': Flags.boolean({summary: 'Also print the callback signing secret (to verify callbacks).'}),
  }

  async run(): Promise<StoreShowResult> {
    const {args, flags} = await this.parse(StoreShow)
    const result = await this.withData(flags['data-dir'], async ({service}) => {
        const s = await service.resolveStore(args.id)
        return {store: publicStore(s), signing_secret: flags['show-signing-secret'] ? s.signingSecret : undefined}
      })
    if (!this.jsonEnabled()) {
      this.log(JSON.stringify(result.store, null, 2))
      if (result.signing_secret) this.log(`signing secret: ${result.signing_secret}`)
    }
    return result
  }
}
