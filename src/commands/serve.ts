import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {VcashServer} from '../server/serve.js'

export interface ServeResult {
  url: string
  data_dir: string
  dev_store: {id: string; api_token: string; device_token: string; signing_secret: string} | null
}

export default class Serve extends BaseCommand {
  static override summary = 'Run the vcash service on the embedded store'
  static override description = `Serves the merchant API (payment_link_check, rate), SMS ingest for the wallet phone, transactions, /healthz, /metrics and /openapi.json, and delivers merchant notifications.

On an empty data dir, with --dev or on a terminal, it creates a development store and prints its id and secrets once (--no-dev-store to skip). Elsewhere (systemd, Docker, CI) it creates nothing and says how to add a store: \`vcash store init\` or \`vcash store import\`. Other vcash commands talk to this server while it runs. Stops gracefully on Ctrl-C / SIGTERM.`

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 8080 --data-dir /var/lib/vcash',
    '<%= config.bin %> serve --host 0.0.0.0 --trust-proxy 127.0.0.1',
    '<%= config.bin %> serve --port 0 --json',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    port: f.port,
    host: f.host,
    dev: Flags.boolean({summary: 'Development mode: allow http://localhost callback URLs for every store.', env: 'VCASH_DEV', default: false}),
    'failed-check-limit': Flags.integer({
      summary: 'Failed payment_link_check calls allowed per store and caller address per 10 minutes (then 429).',
      description: 'A WHMCS host checks for all its customers from one address: raise it for a busy store.',
      env: 'VCASH_FAILED_CHECK_LIMIT',
      default: 60,
      min: 1,
    }),
    'trust-proxy': f.trustProxy,
    'dev-store': Flags.boolean({summary: 'On an empty data dir, create a development store and print its secrets once (default: with --dev or on a terminal).', allowNo: true}),
  }

  async run(): Promise<ServeResult | undefined> {
    const {flags} = await this.parse(Serve)
    // A production server's output goes to a journal: secrets are printed only to a person at a terminal.
    const onTerminal = Boolean(process.stdin.isTTY && process.stderr.isTTY)
    const devStore = flags['dev-store'] ?? (flags.dev || onTerminal)
    const server = await VcashServer.start({dataDir: flags['data-dir'], host: flags.host, port: flags.port, dev: flags.dev, devStore, trustProxy: flags['trust-proxy'], failedCheckLimit: flags['failed-check-limit']})
    const dev = server.devStore
    const ready: ServeResult = {
      url: server.url,
      data_dir: flags['data-dir'],
      dev_store: dev ? {id: dev.store.id, api_token: dev.apiToken, device_token: dev.deviceToken, signing_secret: dev.store.signingSecret} : null,
    }
    if (this.jsonEnabled()) {
      // A long-running command: announce readiness as one JSON line, now, for machines.
      process.stdout.write(`${JSON.stringify(ready)}\n`)
    } else {
      const out = (s: string) => process.stderr.write(`${s}\n`)
      out(`${chalk.green('vcash')} listening on ${chalk.bold(server.url)} (data dir ${flags['data-dir']})`)
      if (dev) {
        out('')
        out(chalk.yellow(`Created a development store (the data dir was empty${flags.dev ? ' and --dev is on' : flags['dev-store'] ? '' : ' and this is a terminal; --no-dev-store to skip'}). These secrets are shown ONCE — save them now:`))
        out(`  store id       ${dev.store.id}`)
        out(`  API token      ${dev.apiToken}`)
        out(`  device token   ${dev.deviceToken}`)
        out(`  signing secret ${dev.store.signingSecret}`)
        out('')
      }
      if (!dev && (await server.local.storage.listStores()).length === 0) {
        out(chalk.yellow(`No store in ${flags['data-dir']} yet. Add one beside this server (no restart): vcash store init, or vcash store import store.json (see docs/deploy.md).`))
      }
      out(chalk.dim('Ctrl-C to stop.'))
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stderr.write(`\nvcash: ${signal} received, finishing in-flight requests…\n`)
        server.close().then(resolve, (error: unknown) => {
          console.error('vcash: shutdown failed:', error)
          process.exitCode = 1
          resolve()
        })
      }
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
    })
    return undefined
  }
}
