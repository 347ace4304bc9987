import {spawn} from 'node:child_process'
import os from 'node:os'

import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {runningServer} from '../io/admin-info.js'

export interface DashboardResult {
  /** The one-time sign-in link (absent with --sign-out-everywhere). */
  url?: string
  expires_at?: string
  /** Whether a browser was asked to open it. */
  opened?: boolean
  /** With --sign-out-everywhere: how many links and sessions stopped working. */
  signed_out?: number
}

export default class Dashboard extends BaseCommand {
  static override summary = 'Sign in to the operator dashboard: print (and on a desktop, open) a one-time link'
  static override description = `Writes a sign-in token into the data dir's ledger and prints a link to the running server's /dashboard/login. Opening the link signs that browser in (a session cookie); the link works once and for 10 minutes. Sessions end after 12 hours without use and after 7 days in any case.

The dashboard answers on loopback only unless the server was started with --dashboard public. Run this on the machine (and as the user) that can read the data dir: that is what makes you the operator.`

  static override examples = [
    '<%= config.bin %> dashboard',
    '<%= config.bin %> dashboard --no-open --data-dir /var/lib/vcash',
    '<%= config.bin %> dashboard --url https://pay.example.com',
    '<%= config.bin %> dashboard --sign-out-everywhere',
  ]

  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    url: Flags.string({summary: 'Base URL the browser reaches the server at (default: the running server\'s own address).', helpValue: 'URL', env: 'VCASH_DASHBOARD_URL'}),
    open: Flags.boolean({summary: 'Open the link in the desktop\'s browser (never under CI, --json or without a display).', allowNo: true, default: true}),
    'sign-out-everywhere': Flags.boolean({summary: 'Revoke every dashboard session and unused link instead.', default: false}),
  }

  async run(): Promise<DashboardResult> {
    const {flags} = await this.parse(Dashboard)
    if (flags['sign-out-everywhere']) {
      const n = await this.withData(flags['data-dir'], ({service}) => service.sessions.signOutEverywhere())
      if (!this.jsonEnabled()) this.log(`${chalk.green('✓')} signed out everywhere (${n} session${n === 1 ? '' : 's'} and links revoked)`)
      return {signed_out: n}
    }
    const server = runningServer(flags['data-dir'])
    const base = parseBase(flags.url ?? server?.url ?? `http://127.0.0.1:${f.DEFAULT_PORT}`)
    if (!flags.url && !server) this.note(chalk.yellow(`No vcash server is running on ${flags['data-dir']}; the link assumes one will listen on ${base}. Start it with \`vcash serve\`.`))
    const link = await this.withData(flags['data-dir'], ({service}) => service.sessions.createLink(os.userInfo().username))
    const url = `${base}/dashboard/login?token=${link.token}`
    const opened = flags.open && !this.jsonEnabled() && canOpenBrowser() && openBrowser(url)
    if (!this.jsonEnabled()) {
      this.log(url)
      this.note(chalk.dim(`One-time link, valid until ${link.expiresAt}${opened ? ' (opening your browser)' : ''}.`))
    }
    return {url, expires_at: link.expiresAt, opened}
  }
}

function parseBase(input: string): string {
  const u = new URL(input)
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`
}

/** A desktop session on this machine, and not a CI runner or an SSH login without a display. */
function canOpenBrowser(): boolean {
  if (process.env.CI !== undefined || !process.stdout.isTTY) return false
  if (process.platform === 'darwin' || process.platform === 'win32') return true
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
}

function openBrowser(url: string): boolean {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(cmd, args as string[], {stdio: 'ignore', detached: true})
    child.on('error', () => {})
    child.unref()
    return true
  } catch {
    return false
  }
}
