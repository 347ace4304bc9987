import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {restoreDataDir, type RestoreReport} from '../storage/backup.js'

export default class Restore extends BaseCommand {
  static override summary = 'Restore a data dir from a `vcash backup` file'
  static override description = `Checks the backup (format, SQLite integrity_check), restores the ledger and the small files, and opens the result to check it holds the counts the backup recorded.

Refuses while a server owns the data dir (stop it first), and refuses a data dir that holds anything unless --force, which moves the old contents aside into replaced-<time>/ rather than deleting them.`

  static override examples = [
    'sudo systemctl stop vcash && sudo --user vcash VCASH_DATA_DIR=/var/lib/vcash <%= config.bin %> restore /var/backups/vcash/latest.vcash --force && sudo systemctl start vcash',
    '<%= config.bin %> restore vcash.vcash --data-dir ./restored --json',
  ]

  static override args = {file: Args.string({description: 'A file made by `vcash backup`', required: true})}
  static override flags = {
    'data-dir': f.dataDir,
    force: Flags.boolean({summary: 'Restore into a data dir that is not empty (its contents are moved aside, not deleted).'}),
  }

  async run(): Promise<RestoreReport> {
    const {args, flags} = await this.parse(Restore)
    const r = await restoreDataDir(args.file, flags['data-dir'], {force: flags.force})
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Restored ${r.data_dir} from the backup of ${r.backup_created_at} (${r.duration_ms} ms)`)
      this.log(`  ${r.counts.stores} stores, ${r.counts.transactions} transactions, ${r.counts.sms} SMS, ${r.counts.notifications} notifications, ${r.files.length} small files; integrity and counts checked`)
      if (r.moved_aside) this.log(`  What the data dir held before is in ${r.moved_aside}`)
    }
    return r
  }
}
