import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {VcashError} from '../../core/errors.js'
import * as f from '../../cli/flags.js'
import {type CallbackView, retryFailed, retryOne} from '../../notify/admin.js'
import {parseSince} from '../../cli/since.js'

export interface CallbacksRetryResult {
  callbacks: CallbackView[]
}

export default class CallbacksRetry extends BaseCommand {
  static override summary = 'Queue notifications for another delivery attempt now'
  static override description = 'After an outage or a configuration fix: `--failed` puts every notification that gave up back in the queue (optionally only those since a time); an id retries one.'
  static override examples = [
    '<%= config.bin %> callbacks retry --failed',
    '<%= config.bin %> callbacks retry --failed --since 2026-11-20T00:00:00Z --json',
    '<%= config.bin %> callbacks retry msg_Ab12Cd34Ef56Gh78Ij90Kl12',
  ]

  static override args = {id: Args.string({description: 'One notification id (msg_…)'})}
  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    failed: Flags.boolean({summary: 'Retry every failed notification.'}),
    since: Flags.string({summary: 'With --failed: only those created at or after this ISO time.', helpValue: 'ISO_TIME', dependsOn: ['failed']}),
  }

  async run(): Promise<CallbacksRetryResult> {
    const {args, flags} = await this.parse(CallbacksRetry)
    if (!flags.failed && !args.id) throw new VcashError('missing_flags', 'say what to retry', {suggestion: 'Pass --failed, or a notification id.'})
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    const callbacks = await this.withData(flags['data-dir'], async ({storage}) => (args.id ? [await retryOne(storage, args.id)] : retryFailed(storage, {since, storeId: flags.store})))
    if (!this.jsonEnabled()) this.log(`Queued ${callbacks.length} notification(s) for delivery${callbacks.length > 0 ? ' (delivered by the running `vcash serve`)' : ''}.`)
    return {callbacks}
  }
}
