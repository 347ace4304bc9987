import {BaseCommand} from '../../cli/base-command.js'
import {profileKeyArg} from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {displayValue, isSecretKey, openProfile, type ProfileKey} from '../../cli/profiles.js'

export interface ConfigGetResult {
  profile: string
  key: ProfileKey
  /** Secrets masked (vd_…****). */
  value: string
  secret: boolean
}

export default class ConfigGet extends BaseCommand {
  static override summary = 'Print one value of a CLI profile (tokens masked)'
  static override description = 'Prints the value alone on stdout, for scripts. Tokens are shown masked (vd_…****), never in full. Exits 1 when the key is not set in the profile.'
  static override examples = ['<%= config.bin %> config get server', '<%= config.bin %> config get device-token --profile prod --json']

  static override args = {key: profileKeyArg}

  async run(): Promise<ConfigGetResult> {
    const {args, flags} = await this.parse(ConfigGet)
    const key = args.key as ProfileKey
    const profiles = await openProfile(this.config.configDir, flags.profile)
    const raw = profiles.resolve(flags.profile)[key]
    if (raw === undefined) {
      throw new VcashError('config_not_set', `${key} is not set in profile "${flags.profile}"`, {exit: EXIT.failure, suggestion: `Set it with \`vcash config set ${key} <value>${flags.profile === 'default' ? '' : ` --profile ${flags.profile}`}\`.`})
    }
    const value = displayValue(key, raw)
    this.log(value)
    return {profile: flags.profile, key, value, secret: isSecretKey(key)}
  }
}
