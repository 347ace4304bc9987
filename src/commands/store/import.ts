import fs from 'node:fs'

import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {publicStore} from '../../core/store-settings.js'

export interface StoreImportResult {
  id: string
  store: Record<string, unknown>
  /** Only when the file had no tokens: new ones, shown once. */
  token?: string
  device_token?: string
}

export default class StoreImport extends BaseCommand {
  static override summary = 'Add a store from a `vcash store export` file'
  static override description = `Validates the file and adds the store with its id, settings and secrets, beside a running server (it serves the store at once, no restart). Prints no secret, unless the file was exported --without-tokens: then the new API and device tokens are shown once.

Refuses a store id that already exists here.`

  static override examples = [
    'sudo --user vcash VCASH_DATA_DIR=/var/lib/vcash <%= config.bin %> store import store.json && rm store.json',
    '<%= config.bin %> store import store.json --json',
    'docker compose exec --no-TTY vcash node bin/run.js store import - < store.json',
  ]

  static override args = {file: Args.string({description: 'A file made by `vcash store export` (- reads it from stdin)', required: true})}
  static override flags = {'data-dir': f.dataDir}

  async run(): Promise<StoreImportResult> {
    const {args, flags} = await this.parse(StoreImport)
    let doc: unknown
    try {
      // `-`: from stdin, so `docker compose exec --no-TTY vcash … store import - < store.json` needs no copy in the container.
      doc = JSON.parse(fs.readFileSync(args.file === '-' ? 0 : args.file, 'utf8'))
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      throw new VcashError(missing ? 'file_not_found' : 'invalid_input', missing ? `${args.file} does not exist` : `${args.file} is not JSON`, {exit: missing ? EXIT.usage : EXIT.input, suggestion: 'Pass the file `vcash store export --out FILE` wrote.'})
    }
    const r = await this.withData(flags['data-dir'], ({service}) => service.importStore(doc))
    const result: StoreImportResult = {id: r.store.id, store: publicStore(r.store), ...(r.apiToken ? {token: r.apiToken} : {}), ...(r.deviceToken ? {device_token: r.deviceToken} : {})}
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Imported store ${chalk.bold(r.store.id)} (${r.store.name}) into ${flags['data-dir']}`)
      if (r.apiToken || r.deviceToken) {
        this.log(chalk.yellow('New tokens (the file had none). They are shown ONCE — save them now:'))
        if (r.apiToken) this.log(`  API token     ${r.apiToken}`)
        if (r.deviceToken) this.log(`  device token  ${r.deviceToken}`)
      } else {
        this.log('Its tokens and signing secret are the ones it had: the phone and your site keep working.')
      }
      if (r.store.mode === 'development') this.log(chalk.yellow('It is a development store (http://localhost callbacks allowed): `vcash store set --mode production` for real payments.'))
    }
    return result
  }
}
