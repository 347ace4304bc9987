import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {DASHBOARD_MODES, type DashboardMode} from '../server/routes/dashboard-access.js'
import {createLogger, defaultLogOptions, LOG_FORMATS, LOG_LEVELS} from '../server/log.js'
import {DEFAULT_LIMITS, VcashServer} from '../server/serve.js'

export interface ServeResult {
  url: string
  data_dir: string
  database: 'embedded' | 'postgres'
  /** The development store this start created; its secrets only when they may be shown (see run). */
  dev_store: {id: string; api_token?: string; device_token?: string; signing_secret?: string} | null
}

export default class Serve extends BaseCommand {
  static override summary = 'Run the vcash service on the embedded store (or PostgreSQL with --database-url)'
  static override description = `Serves the merchant API (payment_link_check, rate), SMS ingest for the wallet phone, transactions, /healthz, /metrics and /openapi.json, and delivers merchant notifications.

On an empty data dir, with --dev or on a terminal, it creates a development store (--no-dev-store to skip); its secrets are printed on a terminal only, never into a log file or the journal. Elsewhere (systemd, Docker, CI) it creates nothing and says how to add a store: \`vcash store init\` or \`vcash store import\`. Other vcash commands talk to this server while it runs. Stops gracefully on Ctrl-C / SIGTERM.

Logs: one line per SMS ingested, check (phone masked, never a token) and delivery attempt, on stderr; the startup banner is on stdout. /metrics answers a direct loopback peer, or anyone with --metrics-token.`

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 8080 --data-dir /var/lib/vcash',
    '<%= config.bin %> serve --host 0.0.0.0 --trust-proxy 127.0.0.1',
    'VCASH_TRUST_PROXY=127.0.0.1,10.0.0.0/8 <%= config.bin %> serve --log-format json',
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
    'outbox-poll': Flags.integer({
      summary: 'Seconds between looks at the outbox when nothing woke it (a change in this server wakes it at once; with --database-url, so does any instance\'s or command\'s commit).',
      env: 'VCASH_OUTBOX_POLL',
      default: 1,
      min: 1,
      max: 3600,
    }),
    port: f.port,
    host: f.host,
    dev: Flags.boolean({summary: 'Development mode: lets `vcash simulate` move this server\'s clock. Never relaxes a production store\'s https/public-address guard.', env: 'VCASH_DEV', default: false}),
    'failed-check-limit': Flags.integer({
      summary: 'Failed payment_link_check calls allowed per store and caller per 10 minutes (then 429); IPv6 callers count per /64.',
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
    'max-connections': Flags.integer({
      summary: `Client connections held open at most (default ${DEFAULT_LIMITS.maxConnections}, under a 1,024 fd limit); near it, idle ones are closed first.`,
      env: 'VCASH_MAX_CONNECTIONS',
      default: DEFAULT_LIMITS.maxConnections,
      min: 1,
    }),
    'metrics-token': Flags.string({
      summary: 'Bearer token that lets a scraper that is not on loopback read /metrics.',
      env: 'VCASH_METRICS_TOKEN',
      helpValue: 'TOKEN',
    }),
    'log-format': Flags.string({
      summary: 'Log lines on stderr: pretty (a terminal) or json (one object a line). Default: pretty on a terminal, json otherwise.',
      env: 'VCASH_LOG_FORMAT',
      options: [...LOG_FORMATS],
    }),
    'log-level': Flags.string({summary: 'Least important log level written.', env: 'VCASH_LOG_LEVEL', options: [...LOG_LEVELS], default: 'info'}),
    'show-dev-secrets': Flags.boolean({summary: 'Print the created development store\'s tokens even when the output is not a terminal (test harnesses).', default: false}),
    'dev-store': Flags.boolean({summary: 'On an empty data dir, create a development store and print its secrets once (default: with --dev or on a terminal).', allowNo: true}),
  }

  async run(): Promise<ServeResult | undefined> {
    const {flags} = await this.parse(Serve)
    // A production server's output goes to a journal: a store (and its secrets) is made only for a person at a terminal.
    // (The banner with the secrets is on stdout.)
    const onTerminal = Boolean(process.stdin.isTTY && process.stdout.isTTY)
    const devStore = flags['dev-store'] ?? (flags.dev || onTerminal)
    const logDefaults = defaultLogOptions(process.stderr)
    const log = createLogger({...logDefaults, format: (flags['log-format'] as 'pretty' | 'json' | undefined) ?? logDefaults.format, level: flags['log-level'] as 'info'})
    const server = await VcashServer.start({
      dataDir: flags['data-dir'],
      databaseUrl: flags['database-url'],
      outboxLeaseMs: flags['outbox-lease'] * 1000,
      dashboard: flags.dashboard as DashboardMode,
      host: flags.host,
      port: flags.port,
      dev: flags.dev,
      devStore,
      trustProxy: flags['trust-proxy'],
      failedCheckLimit: flags['failed-check-limit'],
      metricsToken: flags['metrics-token'] ?? null,
      limits: {maxConnections: flags['max-connections']},
      dispatcher: {pollMs: flags['outbox-poll'] * 1000},
      log,
    })
    const dev = server.devStore
    // Secrets go to a person at a terminal, never into a file, a pipe or the journal.
    const showSecrets = flags['show-dev-secrets'] || Boolean(process.stdout.isTTY)
    const ready: ServeResult = {
      url: server.url,
      data_dir: flags['data-dir'],
      database: flags['database-url'] ? 'postgres' : 'embedded',
      dev_store: dev ? (showSecrets ? {id: dev.store.id, api_token: dev.apiToken, device_token: dev.deviceToken, signing_secret: dev.store.signingSecret} : {id: dev.store.id}) : null,
    }
    log.info({url: server.url, data_dir: flags['data-dir'], dev_store: dev?.store.id, max_connections: flags['max-connections'], trust_proxy: flags['trust-proxy'].join(',') || undefined}, 'listening')
    if (this.jsonEnabled()) {
      // A long-running command: announce readiness as one JSON line, now, for machines.
      process.stdout.write(`${JSON.stringify(ready)}\n`)
    } else {
      const out = (s: string) => process.stdout.write(`${s}\n`)
      out(`${chalk.green('vcash')} listening on ${chalk.bold(server.url)} (${flags['database-url'] ? `PostgreSQL ${server.databaseWhere}, ` : ''}data dir ${flags['data-dir']})`)
      if (dev && showSecrets) {
        out('')
        out(chalk.yellow(`Created a development store (the data dir was empty${flags.dev ? ' and --dev is on' : flags['dev-store'] ? '' : ' and this is a terminal; --no-dev-store to skip'}). These secrets are shown ONCE — save them now:`))
        out(`  store id       ${dev.store.id}`)
        out(`  API token      ${dev.apiToken}`)
        out(`  device token   ${dev.deviceToken}`)
        out(`  signing secret ${dev.store.signingSecret}`)
        out('')
      } else if (dev) {
        out(`Created a development store ${dev.store.id}. Its secrets are printed on a terminal only; get them with`)
        out(`  vcash store set ${dev.store.id} --rotate-tokens --data-dir ${flags['data-dir']}          (new API and device tokens)`)
        out(`  vcash store show ${dev.store.id} --show-signing-secret --data-dir ${flags['data-dir']}`)
      }
      if (!dev && (await server.local.storage.listStores()).length === 0) {
        out(chalk.yellow(`No store in ${flags['data-dir']} yet. Add one beside this server (no restart): vcash store init, or vcash store import store.json (see docs/deploy.md).`))
      }
      out(chalk.dim('Ctrl-C to stop.'))
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({signal}, 'stopping: finishing in-flight requests')
        server.close().then(resolve, (error: unknown) => {
          log.error({err: error}, 'shutdown failed')
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
