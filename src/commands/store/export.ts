import fs from 'node:fs'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import * as f from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {writeFileAtomic} from '../../io/durable.js'

export interface StoreExportResult {
  store_id: string
  out: string
  with_tokens: boolean
}

export default class StoreExport extends BaseCommand {
  static override summary = 'Write a store (settings and secrets) to a file, to move it to a server'
  static override description = `The file (mode 0600) holds everything the store is: its settings, its signing secret (your site keeps verifying), the WHMCS credential and forwarder key, and the hashes of its API and device tokens (the phone and your backend keep working). With --without-tokens the server issues new tokens on import instead.

Nothing secret is printed. Copy the file to the server (scp), run \`vcash store import FILE\` there, and delete it.`

  static override examples = [
    '<%= config.bin %> store export st_abc123 --out store.json',
    '<%= config.bin %> store export --out store.json --without-tokens',
    'scp store.json pay.example.com: && ssh pay.example.com sudo --user vcash VCASH_DATA_DIR=/var/lib/vcash vcash store import store.json',
  ]

  static override args = {id: Args.string({description: 'Store id (default: the only store)'})}
  static override flags = {
    'data-dir': f.dataDir,
    out: Flags.string({summary: 'The file to write (mode 0600).', required: true, helpValue: 'FILE'}),
    'without-tokens': Flags.boolean({summary: 'Leave the API and device tokens out: the import issues new ones (the phone and your backend then need them).'}),
    force: Flags.boolean({summary: 'Replace --out if it exists.'}),
  }

  async run(): Promise<StoreExportResult> {
    const {args, flags} = await this.parse(StoreExport)
    const out = path.resolve(flags.out)
    if (fs.existsSync(out) && !flags.force) throw new VcashError('file_exists', `${out} already exists`, {exit: EXIT.cantCreate, suggestion: 'Pass --force to replace it, or choose another --out.'})
    const doc = await this.withData(flags['data-dir'], async ({service}) => {
      const store = await service.resolveStore(args.id)
      return service.exportStore(store.id, {withTokens: !flags['without-tokens']})
    })
    writeFileAtomic(out, `${JSON.stringify(doc, null, 2)}\n`, 0o600)
    const result = {store_id: doc.store.id, out, with_tokens: !flags['without-tokens']}
    if (!this.jsonEnabled()) {
      this.log(`${chalk.green('✓')} Wrote store ${chalk.bold(result.store_id)} to ${out} ${chalk.yellow('(secrets, 0600)')}`)
      this.log(`Next, on the server: vcash store import ${path.basename(out)}  — then delete the file.`)
    }
    return result
  }
}
