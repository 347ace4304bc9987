import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type Column, renderTable} from '../../cli/table.js'
import {publicStore} from '../../core/store-settings.js'

export interface StoreListResult {
  stores: Record<string, unknown>[]
}

type Row = Record<string, unknown>

const COLUMNS: Column<Row>[] = [
  {key: 'id', header: 'ID', get: (s) => String(s.id)},
  {key: 'name', header: 'NAME', get: (s) => String(s.name)},
  {key: 'callback', header: 'CALLBACK', get: (s) => {
    const cb = s.callback as {kind: string; url?: string}
    return cb.url ? `${cb.kind} ${cb.url}` : cb.kind
  }},
  {key: 'rate', header: 'RATE', get: (s) => `${String(s.rate)} ${String(s.currency_label)}`},
  {key: 'anti_spam', header: 'ANTI-SPAM', get: (s) => ((s.anti_spam as {enabled: boolean}).enabled ? 'on' : 'off')},
  {key: 'mode', header: 'MODE', get: (s) => String(s.mode)},
]

export default class StoreList extends BaseCommand {
  static override summary = 'List the stores in the data dir'
  static override examples = ['<%= config.bin %> store list', '<%= config.bin %> store list --json']
  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<StoreListResult> {
    const {flags} = await this.parse(StoreList)
    const stores = await this.withData(flags['data-dir'], async ({storage}) => (await storage.listStores()).map(publicStore))
    if (!this.jsonEnabled()) {
      if (stores.length === 0) this.log('No stores yet. Create one with `vcash store init`, or run `vcash serve` once.')
      else process.stdout.write(renderTable(stores, COLUMNS, {header: chalk.bold}))
    }
    return {stores}
  }
}
