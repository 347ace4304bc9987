import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type CopyReport, copyToPostgres} from '../../storage/copy.js'

export default class DbCopy extends BaseCommand {
  // Both ends are named by flags; no profile default applies.
  static override baseFlags = {}

  static override summary = 'Copy an embedded ledger (a data dir) into PostgreSQL, verified table by table'
  static override description = `The step from one machine to several vcash instances on one PostgreSQL. Every table of the data dir's ledger is copied (stores with their secrets, SMS, transactions, notifications, credits, sessions…) after migrating the target, in one PostgreSQL transaction: a failed copy leaves the database as it was. Then each table is checked: the same row count and the same sha256 over its rows, read back from PostgreSQL.

Stop the server first: payments it takes after the copy would not be in PostgreSQL. --allow-running copies one consistent moment of a running server (one SQLite read transaction), e.g. to rehearse. A database that already holds a ledger is refused unless --force (which replaces it). The phone agent's files (sms/) stay in the data dir.`

  static override examples = [
    '<%= config.bin %> db copy --from /var/lib/vcash --to postgres://vcash:secret@db.internal:5432/vcash',
    '<%= config.bin %> db copy --from ./.vcash --to postgres://vcash@127.0.0.1:5432/vcash --allow-running --json',
  ]

  static override flags = {
    from: Flags.string({summary: 'The data dir whose embedded ledger is copied.', required: true, helpValue: 'DIR', parse: f.dataDir.parse}),
    to: Flags.string({summary: 'The PostgreSQL URL to copy into (migrated first).', required: true, helpValue: 'URL', parse: f.databaseUrl.parse}),
    force: Flags.boolean({summary: 'Replace the ledger the target database already holds.'}),
    'allow-running': Flags.boolean({summary: 'Copy while a server holds the data dir (one consistent moment of it).'}),
  }

  async run(): Promise<CopyReport> {
    const {flags} = await this.parse(DbCopy)
    const r = await copyToPostgres(flags.from, flags.to, {force: flags.force, allowRunning: flags['allow-running']})
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Copied ${r.from} to ${chalk.bold(r.to)} in ${r.duration_ms} ms${r.migrated.length > 0 ? ` (migrated ${r.migrated.join(', ')})` : ''}`)
      const width = Math.max(...r.tables.map((t) => t.table.length))
      for (const t of r.tables) this.log(`  ${t.ok ? chalk.green('ok') : chalk.red('DIFFERS')}  ${t.table.padEnd(width)}  ${String(t.rows).padStart(8)} rows  sha256 ${t.target_sha256.slice(0, 16)}…${t.replaced > 0 ? chalk.yellow(`  (replaced ${t.replaced})`) : ''}`)
      if (r.source_running) this.log(chalk.yellow('  The server kept running: what it took after the copy began is not in PostgreSQL.'))
      this.log(chalk.dim(`  Next: start vcash with --database-url (VCASH_DATABASE_URL) pointing at ${r.to}.`))
    }
    return r
  }
}
