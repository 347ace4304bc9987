import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {deviceSilenceMinutes, span} from '../core/gates.js'
import {type DeviceView, deviceView} from '../core/views.js'

export interface DevicesResult {
  store_id: string
  silence_limit_minutes: number
  devices: DeviceView[]
}

export default class Devices extends BaseCommand {
  static override summary = 'List the devices that bring a store\'s SMS in, and when each was last heard from'
  static override description = `A device is whatever delivers SMS to vcash: a phone read by \`vcash sms tail\` (adb:SERIAL), a forwarder app (smsgateway:…, httpsms:…), or a client of POST /api/sms. Each SMS or heartbeat is a contact. A device silent longer than the store's limit (--device-silence-limit on \`vcash store set\`, default 30 minutes) is reported offline, once, with a device.offline webhook; device.online follows when it is heard from again.

Reads the ledger directly, so it works whether or not \`vcash serve\` is running.`

  static override examples = [
    {description: 'The only store\'s devices', command: '<%= config.bin %> devices'},
    {description: 'Another store, as JSON', command: '<%= config.bin %> devices --store st_abc123 --json'},
    {description: 'Alert after 10 minutes of silence instead of 30', command: '<%= config.bin %> store set --device-silence-limit 10m'},
  ]

  static override flags = {
    'data-dir': f.dataDir,
    store: f.store,
  }

  async run(): Promise<DevicesResult> {
    const {flags} = await this.parse(Devices)
    const result = await this.withData(flags['data-dir'], async ({service}) => {
      const store = await service.resolveStore(flags.store)
      const now = service.clock()
      return {store_id: store.id, silence_limit_minutes: deviceSilenceMinutes(store), devices: (await service.listDevices(store.id)).map((d) => deviceView(d, now))}
    })
    if (!this.jsonEnabled()) {
      if (result.devices.length === 0) this.log(`No device has delivered an SMS or a heartbeat to store ${result.store_id} yet. Start \`vcash sms tail\`, or point a forwarder app at /api/sms.`)
      for (const d of result.devices) {
        const state = d.state === 'online' ? chalk.green('online ') : chalk.red('offline')
        const phone = d.phone && d.phone.state !== 'ready' ? chalk.yellow(`  phone ${d.phone.state}${d.phone.detail ? `: ${d.phone.detail}` : ''}`) : ''
        this.log(`${state}  ${d.name.padEnd(28)} ${d.kind.padEnd(9)}  last contact ${d.last_contact_at} (${span(d.silent_for_seconds * 1000)} ago)${d.app_version ? `  ${chalk.dim(d.app_version)}` : ''}${phone}`)
      }
      if (result.devices.length > 0) this.log(chalk.dim(`offline after ${span(result.silence_limit_minutes * 60_000)} of silence (vcash store set --device-silence-limit)`))
    }
    return result
  }
}
