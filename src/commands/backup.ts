import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {type BackupReport, backupDataDir} from '../storage/backup.js'

export default class Backup extends BaseCommand {
  static override summary = 'Back up a data dir into one file, consistently, while the server runs'
  static override description = `Copies the ledger with SQLite's online backup API (every payment acknowledged before the backup started is in it; the server keeps running), and the data dir's small files (sms/: the phone agent's spools and cursors). The file is an SQLite database with mode 0600: it holds every store's secrets, so keep it like one.

Restore it with \`vcash restore FILE\` (into an empty data dir, with the server stopped).`

  static override examples = [
    '<%= config.bin %> backup --out /var/backups/vcash-$(date +%F).vcash',
    'sudo --user vcash VCASH_DATA_DIR=/var/lib/vcash <%= config.bin %> backup --out /var/backups/vcash/latest.vcash --force --json',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    out: Flags.string({summary: 'The backup file to write.', required: true, helpValue: 'FILE'}),
    force: Flags.boolean({summary: 'Replace --out if it exists.'}),
  }

  async run(): Promise<BackupReport> {
    const {flags} = await this.parse(Backup)
    const r = await backupDataDir(flags['data-dir'], flags.out, {force: flags.force})
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Backed up ${r.data_dir} to ${chalk.bold(r.file)} (${Math.ceil(r.bytes / 1024)} KiB, ${r.duration_ms} ms)`)
      this.log(`  ${r.counts.stores} stores, ${r.counts.transactions} transactions, ${r.counts.sms} SMS, ${r.counts.notifications} notifications, ${r.files.length} small files`)
      this.log(chalk.yellow('  It holds your stores\' secrets (mode 0600): store it like a password.'))
    }
    return r
  }
}
