import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {EXIT} from '../../core/errors.js'
import * as f from '../../cli/flags.js'
import {replayCallback, type ReplayResult} from '../../notify/admin.js'

export default class CallbacksReplay extends BaseCommand {
  static override summary = 'Re-send a notification — the same signed event — to the store\'s URL or any other'
  static override description = `Sends the same event id, body and signature again, so the receiver verifies it as the original. Use --to to send it to a local development server. A WHMCS credit is never repeated unless you pass --force: vcash keeps a ledger of the credits it made.

Exits 1 when the receiver did not accept it.`

  static override examples = [
    '<%= config.bin %> callbacks replay msg_Ab12Cd34Ef56Gh78Ij90Kl12',
    '<%= config.bin %> callbacks replay msg_Ab12Cd34Ef56Gh78Ij90Kl12 --to http://localhost:3000/vcash/webhook',
    '<%= config.bin %> callbacks replay msg_Ab12Cd34Ef56Gh78Ij90Kl12 --force --json',
  ]

  static override args = {id: Args.string({description: 'Notification id (msg_…)', required: true})}
  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    to: Flags.string({summary: 'Send to this URL instead of the store\'s (e.g. a local dev server).', helpValue: 'URL'}),
    force: Flags.boolean({summary: 'WHMCS: credit again even though the ledger says it was credited.'}),
  }

  async run(): Promise<ReplayResult> {
    const {args, flags} = await this.parse(CallbacksReplay)
    const result = await this.withData(flags['data-dir'], async ({storage}) => replayCallback(storage, args.id, {to: flags.to, force: flags.force}))
    const {attempt} = result
    if (!this.jsonEnabled()) {
      const mark = result.delivered ? chalk.green('✓ delivered') : chalk.red('✗ not accepted')
      this.log(`${mark}  ${attempt.url}  ${attempt.status ?? '-'}  ${attempt.durationMs} ms${attempt.error ? `  ${attempt.error}` : ''}`)
    }
    if (!result.delivered) process.exitCode = EXIT.failure
    return {callback: result.callback, attempt, delivered: result.delivered}
  }
}
