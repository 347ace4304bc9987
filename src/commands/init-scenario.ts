import {Args, Flags} from '@oclif/core'
import fs from 'node:fs'
import path from 'node:path'

import {BaseCommand} from '../cli/base-command.js'
import {VcashError} from '../core/errors.js'
import {EXAMPLE_SCENARIO} from '../simulate/scenario.js'

export interface InitScenarioResult {
  written: string
}

export default class InitScenario extends BaseCommand {
  static override summary = 'Write a commented starter scenario for `vcash simulate run`'
  static override examples = ['<%= config.bin %> init-scenario', '<%= config.bin %> init-scenario ci/payments.yaml --force']
  static override args = {file: Args.string({description: 'Where to write it', default: 'vcash-scenario.yaml'})}
  static override flags = {force: Flags.boolean({summary: 'Overwrite an existing file.'})}

  async run(): Promise<InitScenarioResult> {
    const {args, flags} = await this.parse(InitScenario)
    if (fs.existsSync(args.file) && !flags.force) throw new VcashError('file_exists', `${args.file} already exists`, {suggestion: 'Pass --force to overwrite it, or choose another file name.'})
    fs.mkdirSync(path.dirname(args.file), {recursive: true})
    fs.writeFileSync(args.file, EXAMPLE_SCENARIO)
    if (!this.jsonEnabled()) this.log(`Wrote ${args.file}. Run it with: vcash simulate run ${args.file}`)
    return {written: args.file}
  }
}
