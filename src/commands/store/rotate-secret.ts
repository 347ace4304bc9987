import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {VcashError} from '../../core/errors.js'
import {parseDuration} from '../../core/duration.js'

export interface RotateSecretResult {
  store_id: string
  signing_secret: string
  /** Until when the previous secret also signs (ISO time); null when it stopped at once. */
  previous_signs_until: string | null
}

export default class StoreRotateSecret extends BaseCommand {
  static override summary = 'Issue a new callback signing secret; the old one keeps signing for an overlap'
  static override description = `Prints the new secret ONCE. During the overlap (default 24h) every webhook carries two Standard Webhooks signatures (new and old) and every GET callback a signature_previous beside its signature, so your site verifies with either secret: put the new one in your site's settings any time before the overlap ends. After it, only the new secret signs.

A running server picks the new secret up for its next delivery; no restart.`

  static override examples = [
    '<%= config.bin %> store rotate-secret st_abc123',
    '<%= config.bin %> store rotate-secret st_abc123 --overlap 72h --json',
    '<%= config.bin %> store rotate-secret --overlap 0      # the old secret stops at once (it leaked)',
  ]

  static override args = {id: Args.string({description: 'Store id (default: the only store)'})}
  static override flags = {
    'data-dir': f.dataDir,
    overlap: Flags.string({summary: 'How long the old secret keeps signing beside the new one (e.g. 24h, 3d, 90m; 0 = not at all; at most 30d).', default: '24h', helpValue: 'DURATION'}),
  }

  async run(): Promise<RotateSecretResult> {
    const {args, flags} = await this.parse(StoreRotateSecret)
    let overlapMs: number
    try {
      overlapMs = flags.overlap.trim() === '0' ? 0 : parseDuration(flags.overlap)
    } catch {
      throw new VcashError('invalid_input', '--overlap is not a duration', {suggestion: 'e.g. --overlap 24h, --overlap 3d, or --overlap 0.'})
    }
    const r = await this.withData(flags['data-dir'], async ({service}) => {
      const store = await service.resolveStore(args.id)
      return service.rotateSigningSecret(store.id, overlapMs)
    })
    const result: RotateSecretResult = {
      store_id: r.store.id,
      signing_secret: r.signingSecret,
      previous_signs_until: r.previousUntil === null ? null : new Date(r.previousUntil).toISOString(),
    }
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} New signing secret for store ${chalk.bold(result.store_id)}. It is shown ONCE — save it now:`)
      this.log(`  signing secret  ${result.signing_secret}`)
      this.log(result.previous_signs_until
        ? `The previous secret also signs until ${result.previous_signs_until}: update your site's secret before then.`
        : 'The previous secret no longer signs: update your site\'s secret now.')
    }
    return result
  }
}
