import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import {err} from '../cli/colour.js'
import * as f from '../cli/flags.js'
import {EXIT, VcashError} from '../core/errors.js'
import {type Forwarded, type Lost, Listener} from '../agent/listen.js'
import {openLocal} from '../app/runtime.js'
import {runningServer} from '../io/admin-info.js'

export interface ListenResult {
  forwarded: number
}

export default class Listen extends BaseCommand {
  static override summary = 'Forward the store\'s notifications to a local URL and print each one live'
  static override description = `Like Stripe CLI's listen: every notification the running vcash server sends (GET callback, WHMCS credit or webhook) is also sent, byte for byte with its signature, to --forward-to — e.g. your site on localhost — and printed.

With --source, pulls them from a smee.io channel instead, so a deployed vcash whose store webhook URL is that channel reaches your laptop; vcash wraps the exact signed bytes so they still verify after smee re-serialises them.

When the server restarts, says so ("lost connection to the server, retrying in 1s…"), retries with backoff (up to 10 s apart) and resumes ("reconnected"), finding the server again through --data-dir.

Prints the signing secret to verify with. Stop with Ctrl-C. With --json, one JSON object per line (type ready, forwarded, reconnecting, reconnected, summary).`

  static override examples = [
    '<%= config.bin %> listen --forward-to http://localhost:3000/vcash/webhook',
    '<%= config.bin %> listen --forward-to http://localhost:3000/hook --source https://smee.io/AbCdEf123 --signing-secret whsec_…',
    '<%= config.bin %> listen --data-dir /var/lib/vcash --database-url postgres://vcash:secret@db.internal:5432/vcash --forward-to http://localhost:3000/hook',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    'forward-to': Flags.string({summary: 'Your local URL that should receive the notifications.', required: true, helpValue: 'URL'}),
    source: Flags.string({summary: 'A smee.io channel URL a deployed vcash delivers to.', helpValue: 'SMEE_URL'}),
    'signing-secret': Flags.string({summary: 'With --source: the deployed store\'s signing secret, printed for your site to use.', env: 'VCASH_SIGNING_SECRET'}),
  }

  async run(): Promise<ListenResult | undefined> {
    const {flags} = await this.parse(Listen)
    for (const [name, value] of [['--forward-to', flags['forward-to']], ['--source', flags.source]] as const) {
      if (value === undefined) continue
      try {
        const u = new URL(value)
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol')
      } catch {
        throw new VcashError('invalid_input', `${name} "${value}" is not an http(s) URL`, {suggestion: `e.g. ${name} http://localhost:3000/hook`})
      }
    }
    const listener = new Listener({forwardTo: flags['forward-to'], storeId: flags.store})
    let count = 0
    const line = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`)
    listener.on('forwarded', (r: Forwarded, e) => {
      count++
      if (this.jsonEnabled()) line({type: 'forwarded', id: r.id, event: r.event, channel: e.channel, transaction_id: e.transaction_id, status: r.status, error: r.error, duration_ms: r.durationMs})
      else {
        const st = r.status === null ? chalk.red(`error: ${r.error}`) : r.status < 300 ? chalk.green(String(r.status)) : chalk.red(String(r.status))
        this.log(`${new Date().toISOString()}  --> ${chalk.bold(r.event)} [${r.id}]${e.transaction_id ? ` ${e.transaction_id}` : ''}  <-- ${st} (${r.durationMs} ms)`)
      }
    })
    listener.on('error', (error) => this.note(err.yellow(`warning: ${error.message}`)))
    // Like `stripe listen`: a server restart is announced and survived, not fatal.
    listener.on('lost', (l: Lost) => {
      if (this.jsonEnabled()) line({type: 'reconnecting', reason: l.reason, retry_in_ms: l.retryInMs, attempt: l.attempt})
      else this.note(err.yellow(`${l.attempt === 1 ? 'lost connection to the server' : 'still no server'} (${l.reason}), retrying in ${seconds(l.retryInMs)}…`))
    })
    listener.on('reconnected', (url: string) => {
      if (this.jsonEnabled()) line({type: 'reconnected', source: url})
      else this.note(err.green(`reconnected${url ? ` to ${url}` : ''}`))
    })
    const stop = () => {
      void listener.stop()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)

    if (flags.source) {
      listener.once('ready', () => {
        this.hello(flags.source!, flags['signing-secret'] ?? null)
      })
      await listener.fromSmee(flags.source)
    } else {
      const dataDir = flags['data-dir']
      const admin = runningServer(dataDir)
      if (!admin) {
        throw new VcashError('server_not_running', `no vcash server is running on ${flags['data-dir']}`, {
          exit: EXIT.unavailable,
          suggestion: 'Start `vcash serve` (same --data-dir) in another terminal, or pass --source with a smee channel.',
        })
      }
      const secret = await this.signingSecret(flags.store, flags['data-dir'], flags['database-url'])
      listener.once('ready', () => this.hello(admin.url, secret))
      await listener.fromServer(() => runningServer(dataDir))
    }
    // Long-running: everything was streamed as it happened; end with a summary line.
    if (this.jsonEnabled()) line({type: 'summary', forwarded: count})
    else this.note(`Forwarded ${count} notification(s).`)
    return undefined
  }

  private hello(from: string, secret: string | null): void {
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({type: 'ready', source: from, signing_secret: secret})}\n`)
      return
    }
    this.note(`${err.green('Ready!')} Forwarding notifications from ${from}.`)
    if (secret) this.note(`Your signing secret is ${err.bold(secret)} (verify webhooks with the standardwebhooks library; GET callbacks with HMAC-SHA256).`)
    this.note(err.dim('Ctrl-C to stop.'))
  }

  /** The secret to verify with: the given store's, or the only store's. */
  private async signingSecret(storeId: string | undefined, dataDir: string, databaseUrl: string | undefined): Promise<string | null> {
    const l = await openLocal({dataDir, databaseUrl, holder: 'listen'})
    try {
      const stores = await l.storage.listStores()
      const store = storeId ? stores.find((s) => s.id === storeId) : stores.length === 1 ? stores[0] : undefined
      return store?.signingSecret ?? null
    } finally {
      await l.close()
    }
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}
