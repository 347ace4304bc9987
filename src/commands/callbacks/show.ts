import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {type CallbackView, callbackView, requireCallback} from '../../notify/admin.js'

export interface CallbacksShowResult {
  callback: CallbackView
}

export default class CallbacksShow extends BaseCommand {
  static override summary = 'Show one notification with every delivery attempt'
  static override examples = ['<%= config.bin %> callbacks show msg_Ab12Cd34Ef56Gh78Ij90Kl12', '<%= config.bin %> callbacks show msg_Ab12Cd34Ef56Gh78Ij90Kl12 --json']
  static override args = {id: Args.string({description: 'Notification id (msg_…)', required: true})}
  static override flags = {'data-dir': f.dataDir, 'database-url': f.databaseUrl}

  async run(): Promise<CallbacksShowResult> {
    const {args, flags} = await this.parse(CallbacksShow)
    const callback = await this.withData(flags['data-dir'], async ({storage}) => callbackView(await requireCallback(storage, args.id)))
    if (!this.jsonEnabled()) {
      const n = callback
      this.log(`${n.id}  ${n.state}  ${n.channel} ${n.event}  transaction ${n.transaction_id}`)
      this.log(`created ${n.created_at}${n.next_attempt_at ? `  next attempt ${n.next_attempt_at}` : ''}`)
      if (n.last_error) this.log(`last error: ${n.last_error}`)
      for (const a of n.attempts) {
        this.log(`  ${a.at}  ${a.replay ? '(replay) ' : ''}${a.url}  ${a.status ?? '-'}  ${a.durationMs} ms${a.error ? `  ${a.error}` : ''}${a.responseExcerpt ? `\n      ${a.responseExcerpt.slice(0, 200).replace(/\n/g, ' ')}` : ''}`)
      }
    }
    return {callback}
  }
}
