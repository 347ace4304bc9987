import {BaseCommand} from '../../cli/base-command.js'
import {profileKeyArg} from '../../cli/flags.js'
import {openProfile, type ProfileKey} from '../../cli/profiles.js'

export interface ConfigUnsetResult {
  profile: string
  key: ProfileKey
  removed: boolean
}

export default class ConfigUnset extends BaseCommand {
  static override summary = 'Remove a value from a CLI profile'
  static override description = 'Removes KEY from the active profile (a profile other than "default" left empty is removed too). Succeeds when the key was not set.'
  static override examples = ['<%= config.bin %> config unset device-token', '<%= config.bin %> config unset server --profile prod']

  static override args = {key: profileKeyArg}

  async run(): Promise<ConfigUnsetResult> {
    const {args, flags} = await this.parse(ConfigUnset)
    const key = args.key as ProfileKey
    const profiles = await openProfile(this.config.configDir, flags.profile)
    const removed = await profiles.unset(flags.profile, key)
    if (!this.jsonEnabled()) this.log(removed ? `Removed ${key} from profile ${flags.profile}.` : `${key} was not set in profile ${flags.profile}.`)
    return {profile: flags.profile, key, removed}
  }
}
