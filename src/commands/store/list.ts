import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {publicStore} from '../../core/store-settings.js'

export interface StoreListResult {
  stores: Record<string, unknown>[]
}

export default class StoreList extends BaseCommand {
  static override summary = 'List the stores in the data dir'
  static override examples = ['<%= config.bin %> store list', '<%= config.bin %> store list --json']
  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<StoreListResult> {
    const {flags} = await this.parse(StoreList)
    const stores = await this.withData(flags['data-dir'], async ({storage}) => (await storage.listStores()).map(publicStore))
    if (!this.jsonEnabled()) {
      if (stores.length === 0) this.log('No stores yet. Create one with `vcash store init`, or run `vcash serve` once.')
      for (const s of stores) {
        const cb = s.callback as {kind: string; url?: string}
        this.log(`${chalk.bold(String(s.id))}  ${String(s.name)}  callback=${cb.kind}${cb.url ? ` ${cb.url}` : ''}  rate=${String(s.rate)} ${String(s.currency_label)}  anti-spam=${(s.anti_spam as {enabled: boolean}).enabled ? 'on' : 'off'}  ${String(s.mode)}`)
      }
    }
    return {stores}
  }
}
