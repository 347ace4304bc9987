import fs from 'node:fs'
import path from 'node:path'

import chalk from 'chalk'

import {ledgerFor} from '../../app/runtime.js'
import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {MIGRATIONS} from '../../storage/schema.js'
import {DB_FILE} from '../../storage/sqlite-storage.js'

export interface DbStatusResult {
  database: 'embedded' | 'postgres'
  where: string
  exists: boolean
  applied: {name: string; at: string}[]
  pending: string[]
  transactions: number | null
  sms: number | null
}

export default class DbStatus extends BaseCommand {
  static override summary = 'Show the ledger\'s schema: applied and pending migrations, and its size'
  static override description = 'Reads only: nothing is created or migrated. `vcash serve` (and every command) applies pending migrations on start; `vcash db migrate` applies them now.'
  static override examples = [
    '<%= config.bin %> db status',
    '<%= config.bin %> db status --database-url postgres://vcash:secret@db.internal:5432/vcash --json',
  ]

  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<DbStatusResult> {
    const {flags} = await this.parse(DbStatus)
    const url = flags['database-url']
    let result: DbStatusResult
    if (!url && !fs.existsSync(path.join(flags['data-dir'], DB_FILE))) {
      result = {database: 'embedded', where: flags['data-dir'], exists: false, applied: [], pending: Object.keys(MIGRATIONS), transactions: null, sms: null}
    } else {
      const ledger = ledgerFor({dataDir: flags['data-dir'], databaseUrl: url, migrate: false})
      try {
        await ledger.open()
        const schema = await ledger.schema()
        const ready = schema.applied.length > 0
        result = {
          database: url ? 'postgres' : 'embedded',
          where: 'where' in ledger ? ledger.where : flags['data-dir'],
          exists: true,
          ...schema,
          transactions: ready ? await ledger.countTransactions() : null,
          sms: ready ? await ledger.countSms() : null,
        }
      } finally {
        await ledger.close()
      }
    }
    if (!this.jsonEnabled()) {
      this.log(`${chalk.bold(result.database === 'postgres' ? 'PostgreSQL' : 'Embedded store')} ${result.where}${result.exists ? '' : ' (not created yet)'}`)
      for (const m of result.applied) this.log(`  ${chalk.green('applied')}  ${m.name}  ${m.at}`)
      for (const m of result.pending) this.log(`  ${chalk.yellow('pending')}  ${m}`)
      if (result.transactions !== null) this.log(`  ${result.transactions} transactions, ${result.sms} SMS`)
      if (result.pending.length > 0) this.log(chalk.dim('Pending migrations are applied by `vcash db migrate`, or when vcash next starts.'))
    }
    return result
  }
}
