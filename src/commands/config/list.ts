import {BaseCommand} from '../../cli/base-command.js'
import {PROFILE_BACKED_ENV} from '../../cli/flags.js'
import {openProfile, type ProfileValues} from '../../cli/profiles.js'
import {renderTable} from '../../cli/table.js'

export interface ConfigListResult {
  profile: string
  file: string
  /** The profile's values; tokens masked (vd_…****). */
  values: ProfileValues
  /** Keys whose VCASH_* env var is set in this shell, which wins over the profile. */
  overridden_by_env: string[]
  profiles: string[]
}

export default class ConfigList extends BaseCommand {
  static override summary = 'Show the values of a CLI profile (tokens masked)'
  static override description = 'Lists the keys set in the active profile (--profile, else $VCASH_PROFILE, else "default"), tokens masked, and notes which are overridden by a VCASH_* env var in this shell.'
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --profile prod --json']

  async run(): Promise<ConfigListResult> {
    const {flags} = await this.parse(ConfigList)
    const profiles = await openProfile(this.config.configDir, flags.profile)
    const values = profiles.display(flags.profile)
    const overridden: string[] = Object.entries(PROFILE_BACKED_ENV)
      .filter(([env, key]) => values[key] !== undefined && Boolean(process.env[env]))
      .map(([, key]) => key)
    if (!this.jsonEnabled()) {
      const entries = Object.entries(values)
      if (entries.length === 0) this.note(`Profile "${flags.profile}" has no values. Set one with \`vcash config set <key> <value>\`.`)
      else {
        const rows = entries.map(([key, value]) => ({key, value, env: overridden.includes(key) ? 'overridden by the env' : ''}))
        process.stdout.write(renderTable(rows, [
          {key: 'key', header: 'KEY', get: (r) => r.key},
          {key: 'value', header: 'VALUE', get: (r) => r.value},
          ...(overridden.length > 0 ? [{key: 'env', header: 'NOTE', get: (r: (typeof rows)[number]) => r.env}] : []),
        ]))
      }
      this.note(`(profile ${flags.profile}, ${profiles.file})`)
    }
    return {profile: flags.profile, file: profiles.file, values, overridden_by_env: overridden, profiles: profiles.names()}
  }
}
