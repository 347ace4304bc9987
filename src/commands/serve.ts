import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {VcashServer} from '../server/serve.js'
import {DASHBOARD_MODES, type DashboardMode} from '../server/routes/dashboard-access.js'

export interface ServeResult {
  url: string
  data_dir: string
  database: 'embedded' | 'postgres'
  dev_store: {id: string; api_token: string; device_token: string; signing_secret: string} | null
}

export default class Serve extends BaseCommand {
  static override summary = 'Run the vcash service on the embedded store (or PostgreSQL with --database-url)'
  static override description = `Serves the merchant API (payment_link_check, rate), SMS ingest for the wallet phone, transactions, /healthz, /metrics and /openapi.json, and delivers merchant notifications.

On an empty data dir it creates a development store and prints its id, API token and device token once. Other vcash commands talk to this server while it runs. Stops gracefully on Ctrl-C / SIGTERM.`

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 8080 --data-dir /var/lib/vcash',
    '<%= config.bin %> serve --host 0.0.0.0 --trust-proxy 127.0.0.1',
    '<%= config.bin %> serve --port 0 --json',
    '<%= config.bin %> serve --database-url postgres://vcash:secret@db.internal:5432/vcash --data-dir /var/lib/vcash',
    '<%= config.bin %> serve --trust-proxy 127.0.0.1 --dashboard public',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    'outbox-lease': Flags.integer({
      summary: 'With --database-url: seconds an instance holds a notification it is delivering; a stopped instance\'s are taken over after this.',
      env: 'VCASH_OUTBOX_LEASE',
      default: 120,
      min: 5,
      max: 3600,
    }),
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
    dashboard: Flags.string({
      summary: 'Where the operator dashboard (/dashboard) answers: loopback (this machine only), public (also through your reverse proxy), off.',
      description: 'Sign in with `vcash dashboard`. With public, put the server behind HTTPS: the session cookie is then marked Secure.',
      env: 'VCASH_DASHBOARD',
      options: [...DASHBOARD_MODES],
      default: 'loopback',
    }),
  }

  async run(): Promise<ServeResult | undefined> {
    const {flags} = await this.parse(Serve)
    const server = await VcashServer.start({dataDir: flags['data-dir'], databaseUrl: flags['database-url'], outboxLeaseMs: flags['outbox-lease'] * 1000, host: flags.host, port: flags.port, dev: flags.dev, trustProxy: flags['trust-proxy'], failedCheckLimit: flags['failed-check-limit'], dashboard: flags.dashboard as DashboardMode})
    const dev = server.devStore
    const ready: ServeResult = {
      url: server.url,
      data_dir: flags['data-dir'],
      database: flags['database-url'] ? 'postgres' : 'embedded',
      dev_store: dev ? {id: dev.store.id, api_token: dev.apiToken, device_token: dev.deviceToken, signing_secret: dev.store.signingSecret} : null,
    }
    if (this.jsonEnabled()) {
      // A long-running command: announce readiness as one JSON line, now, for machines.
      process.stdout.write(`${JSON.stringify(ready)}\n`)
    } else {
      const out = (s: string) => process.stderr.write(`${s}\n`)
      out(`${chalk.green('vcash')} listening on ${chalk.bold(server.url)} (${flags['database-url'] ? `PostgreSQL ${server.databaseWhere}, ` : ''}data dir ${flags['data-dir']})`)
      if (dev) {
        out('')
        out(chalk.yellow('Created a development store. These secrets are shown ONCE — save them now:'))
        out(`  store id       ${dev.store.id}`)
        out(`  API token      ${dev.apiToken}`)
        out(`  device token   ${dev.deviceToken}`)
        out(`  signing secret ${dev.store.signingSecret}`)
        out('')
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
