import chalk from 'chalk'

import {ledgerFor} from '../../app/runtime.js'
import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'

export interface DbMigrateResult {
  database: 'embedded' | 'postgres'
  where: string
  /** Migrations this run applied (empty when the schema was current). */
  migrated: string[]
  applied: {name: string; at: string}[]
}

export default class DbMigrate extends BaseCommand {
  static override summary = 'Bring the ledger\'s schema up to this vcash version'
  static override description = `Every vcash start migrates too; run this first to upgrade a shared PostgreSQL before rolling new instances out. On PostgreSQL it runs under an advisory lock: instances starting meanwhile wait, and migrations are applied once. A database written by a newer vcash is refused, never changed.`

  static override examples = [
    '<%= config.bin %> db migrate --database-url postgres://vcash:secret@db.internal:5432/vcash',
    '<%= config.bin %> db migrate --data-dir /var/lib/vcash --json',
  ]

  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<DbMigrateResult> {
    const {flags} = await this.parse(DbMigrate)
    const url = flags['database-url']
    const ledger = ledgerFor({dataDir: flags['data-dir'], databaseUrl: url, migrate: false})
    let result: DbMigrateResult
    try {
      await ledger.open()
      const migrated = await ledger.migrate()
      result = {database: url ? 'postgres' : 'embedded', where: 'where' in ledger ? ledger.where : flags['data-dir'], migrated, applied: (await ledger.schema()).applied}
    } finally {
      await ledger.close()
    }
    if (!this.jsonEnabled()) {
      if (result.migrated.length === 0) this.log(`${result.where}: the schema is current (${result.applied.at(-1)?.name ?? 'none'}).`)
      else this.log(`${chalk.green('Migrated')} ${result.where}: ${result.migrated.join(', ')}.`)
    }
    return result
  }
}
