import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {profileKeyArg} from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {displayValue, isSecretKey, Profiles, type ProfileKey, validateProfileName} from '../../cli/profiles.js'

export interface ConfigSetResult {
  profile: string
  key: ProfileKey
  /** As stored; secrets masked. */
  value: string
  file: string
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
}

export default class ConfigSet extends BaseCommand {
  static override summary = 'Save a default (server, store, device-token, api-token, data-dir) in a CLI profile'
  static override description = `Commands that take --server, --store, --device-token, --api-token or --data-dir use the active profile's value when neither the flag nor its VCASH_* env var is given (flag > env > profile > built-in default). The active profile is --profile, else $VCASH_PROFILE, else "default".

Profiles live in profiles.json in vcash's config dir ($VCASH_CONFIG_DIR overrides it), written with mode 0600. Tokens are never printed back, only a masked form (vd_…****). Pass VALUE as - to read it from stdin, which keeps a token out of your shell history.`

  static override examples = [
    '<%= config.bin %> config set server https://pay.example.com',
    '<%= config.bin %> config set store st_AbCdEf123 --profile prod',
    {description: 'Read a token from stdin (not left in shell history)', command: 'printf %s "$TOKEN" | <%= config.bin %> config set device-token -'},
  ]

  static override args = {
    key: profileKeyArg,
    value: Args.string({description: 'The value; - reads it from stdin.', required: true}),
  }

  async run(): Promise<ConfigSetResult> {
    const {args, flags} = await this.parse(ConfigSet)
    const key = args.key as ProfileKey
    const profile = validateProfileName(flags.profile)
    let raw = args.value
    if (raw === '-') {
      if (process.stdin.isTTY) throw new VcashError('missing_input', 'VALUE - reads from stdin, but stdin is a terminal', {suggestion: `Pipe it in: printf %s "$VALUE" | vcash config set ${key} -`})
      raw = await readStdin()
      if (!raw.trim()) throw new VcashError('missing_input', 'nothing was read from stdin', {exit: EXIT.input})
    }
    const profiles = await Profiles.open(this.config.configDir)
    const stored = await profiles.set(profile, key, raw)
    const shown = displayValue(key, stored)
    if (!this.jsonEnabled()) {
      this.log(`${key} = ${shown}  (profile ${profile})`)
      this.note(`Saved in ${profiles.file}.`)
      if (isSecretKey(key) && args.value !== '-') this.note('Tip: pass - as the value and pipe the token in, to keep it out of your shell history.')
    }
    return {profile, key, value: shown, file: profiles.file}
  }
}
