import {Flags} from '@oclif/core'
import path from 'node:path'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {err} from '../../cli/colour.js'
import {dataDir, server, store} from '../../cli/flags.js'
import {formatMoney} from '../../core/money.js'
import type {AdbDevice} from '../../agent/adb/client.js'
import type {InboxMessage} from '../../agent/adb/inbox.js'
import {checkTargetStore, resolveTarget} from '../../agent/spool.js'
import {SmsTail, type TailEvent, type TailSummary} from '../../agent/tail.js'
import {parseSince} from '../../cli/since.js'
import type {ParseResult} from '../../sms/types.js'
import {parseResultToJson} from './parse.js'

export type SmsTailJson = {type: 'summary'} & TailSummary

export const deviceToken = Flags.string({
  summary: "The store's device token, for --server (`vcash serve` prints it on first start).",
  env: 'VCASH_DEVICE_TOKEN',
  helpValue: 'TOKEN',
})

export const serial = Flags.string({
  summary: 'Serial of the phone to read (see `adb devices`); needed when several are connected.',
  env: 'ANDROID_SERIAL',
  helpValue: 'SERIAL',
})

export const forwardAll = Flags.boolean({
  summary: 'Forward every SMS, not only those from wallet and bank sender ids.',
  default: false,
})

/** One line per SMS: what a person scanning the terminal needs (provider, amount, phone, reference). */
export function formatSmsLine(m: Pick<InboxMessage, 'address' | 'date'> & {body?: string}, parsed: ParseResult): string {
  const d = new Date(m.date)
  const pad = (n: number) => String(n).padStart(2, '0')
  const time = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  if (parsed.kind === 'ignored') {
    const gist = m.body !== undefined ? `  ${m.body.replace(/\s+/g, ' ').trim().slice(0, 50)}…` : ''
    return chalk.dim(`${time}  ${m.address}  ignored (${parsed.reason})${gist}`)
  }
  const who = parsed.senderPhone ?? parsed.senderName ?? 'unknown payer'
  return [
    chalk.gray(time),
    chalk.cyan(parsed.provider),
    chalk.bold.green(`${formatMoney(parsed.amount)} EGP`),
    `from ${chalk.yellow(who)}${parsed.senderPhone && parsed.senderName ? ` (${parsed.senderName})` : ''}`,
    parsed.reference ? `ref ${chalk.magenta(parsed.reference)}` : chalk.dim('no ref'),
  ].join('  ')
}

export async function promptForDevice(devices: AdbDevice[]): Promise<string> {
  const {select} = await import('@inquirer/prompts')
  // Prompts draw with cursor codes even when piped: keep them off stdout.
  return select(
    {message: 'Several phones are connected. Which one holds the wallet SIM?', choices: devices.map((d) => ({name: d.model ? `${d.model.replaceAll('_', ' ')}  ${d.serial}` : d.serial, value: d.serial}))},
    {output: process.stderr},
  )
}

export default class SmsTailCommand extends BaseCommand {
  static override summary = 'Follow a tethered phone\'s SMS inbox over USB and forward wallet receipts to a server'
  static override description = `Reads the SMS inbox of an Android phone plugged in with USB debugging on (through adb; no app on the phone), prints each new wallet message, and forwards it to a vcash server: the local \`vcash serve\` that owns --data-dir, or --server with the store's device token.

Every message is written to a spool on disk before anything else, so nothing is lost when the server is down (delivered in order when it is back, never twice) or the cable is pulled (reading resumes after the last message seen on that phone). A message the server refuses (HTTP 4xx) is kept in the spool as rejected, with the server's answer, and counted in the stop summary: list such messages with \`vcash sms spool\` and send them again with \`vcash sms spool --resend\` once the cause is fixed. Only messages from wallet and bank sender ids are forwarded unless --forward-all is given. Stop with Ctrl-C.

When the data dir holds several stores, --store is required (checked before the phone is touched): the local server cannot tell which store the phone's SMS belong to.

While it runs it sends a heartbeat every --heartbeat seconds (with what it sees of the phone: ready, locked, unauthorized, offline, unplugged), so the store reports the phone offline (a device.offline webhook) when the tail stops or the laptop sleeps; \`vcash devices\` lists it. It says when the phone is locked, offline or has not authorised this computer, and how to fix it.

With --since, messages from that time on are backfilled first (idempotently), then new ones followed. With --json, each event is one JSON line on stdout.`

  static override examples = [
    {description: 'Follow the only connected phone into the local server', command: '<%= config.bin %> sms tail'},
    {description: 'The data dir holds several stores: say which one this phone pays into', command: '<%= config.bin %> sms tail --store st_abc123'},
    {description: 'Pick a phone and a remote server', command: '<%= config.bin %> sms tail --serial R58M123ABC --server https://pay.example.com --device-token vd_…'},
    {description: 'Catch up on the last 6 hours, then keep following, polling every 2 s', command: '<%= config.bin %> sms tail --since 6h --interval 2'},
    {description: 'Machine-readable events, one JSON object per line', command: '<%= config.bin %> sms tail --json'},
    {description: 'Heartbeat every 20 s, so a store with a short silence limit hears quickly when this laptop sleeps', command: '<%= config.bin %> sms tail --heartbeat 20'},
  ]

  static override flags = {
    'data-dir': dataDir,
    server,
    'device-token': deviceToken,
    store,
    serial,
    interval: Flags.integer({summary: 'Seconds between inbox polls.', default: 3, min: 1, max: 3600}),
    since: Flags.string({summary: 'Backfill from this time first: a date, an ISO time, or 12h / 3d back.', helpValue: 'DATE'}),
    'forward-all': forwardAll,
    heartbeat: Flags.integer({summary: 'Seconds between heartbeats telling the server this tail and phone are alive (0 = none); the store reports the device offline after its silence limit.', default: 60, min: 0, max: 3600}),
  }

  /** NDJSON: one event per line, the summary last. */
  protected override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<SmsTailJson> {
    const {flags} = await this.parse(SmsTailCommand)
    const where = {dataDir: flags['data-dir'], server: flags.server, deviceToken: flags['device-token'], storeId: flags.store}
    const target = resolveTarget(where)
    // Before the phone: SMS the server cannot place in a store would only be refused.
    await checkTargetStore(where)
    const tail = new SmsTail({
      dataDir: flags['data-dir'],
      target,
      serial: flags.serial,
      intervalMs: flags.interval * 1000,
      sinceMs: flags.since === undefined ? undefined : parseSince(flags.since).getTime(),
      forward: flags['forward-all'] ? 'all' : 'wallet',
      prompt: this.canPrompt() ? promptForDevice : undefined,
      heartbeatMs: flags.heartbeat * 1000,
      appVersion: `vcash/${this.config.version}`,
    })
    const json = this.jsonEnabled()
    tail.on('event', (e) => (json ? this.logJson(eventJson(e)) : this.render(e, target.label)))
    const summary = await tail.run()
    if (!json) {
      this.note(`Stopped. ${summary.read} read, ${summary.delivered.new} new, ${summary.delivered.duplicate} already known, ${summary.rejected} refused by the server, ${summary.pending} waiting in the spool.`)
      if (summary.rejected > 0) this.note(err.yellow(refusedHint(summary.rejected, flags['data-dir'])))
    }
    return {type: 'summary', ...summary}
  }

  private render(e: TailEvent, label: string): void {
    switch (e.type) {
      case 'adb':
        this.note(err.dim(`adb server ${e.host}:${e.port}; forwarding to ${label}`))
        break
      case 'waiting':
        this.note(`${err.yellow('waiting:')} ${e.message}\n  ${e.suggestion}`)
        break
      case 'device':
        this.note(`${err.green('reading')} ${e.model ? `${e.model.replaceAll('_', ' ')} ` : ''}(${e.serial}); Ctrl-C to stop`)
        break
      case 'device-lost':
        this.note(`${err.yellow('lost')} ${e.serial}: ${e.reason}; will resume when it is back`)
        break
      case 'baseline':
        this.note(err.dim(`following new messages on ${e.serial} (use --since to backfill older ones)`))
        break
      case 'sms':
        this.log(formatSmsLine(e.message, e.parsed) + (e.forwarded ? '' : chalk.dim('  (not forwarded)')))
        break
      case 'delivered':
        if (e.outcome.kind === 'duplicate') this.note(err.dim('  server already had it'))
        break
      case 'rejected':
        this.note(`${err.red('  refused by the server')} (HTTP ${e.status}${e.code ? ` ${e.code}` : ''}): ${e.message}; kept in the spool (\`vcash sms spool\`)`)
        break
      case 'server-down':
        this.note(`${err.yellow('server unreachable:')} ${e.message}; ${e.pending} SMS kept on disk, retrying`)
        break
      case 'server-up':
        this.note(err.green('server back; spool delivered'))
        break
      case 'warning':
        this.note(err.yellow(e.message))
        break
      case 'phone':
        this.note(e.state === 'locked' ? `${chalk.yellow('locked:')} ${e.message}\n  ${e.suggestion}` : chalk.green(e.message))
        break
      case 'heartbeat':
        this.note(e.ok ? chalk.dim(`heartbeats reach ${label}; \`vcash devices\` shows this phone`) : `${chalk.yellow('heartbeat not delivered:')} ${e.message ?? ''}; SMS are still forwarded`)
        break
      case 'stopping':
        break
    }
  }
}

/** What to do about SMS the server refused: they are held in the spool, not lost. */
export function refusedHint(n: number, dataDir: string): string {
  const dd = path.resolve(dataDir) === path.resolve('./.vcash') ? '' : ` --data-dir ${dataDir}`
  return `${n} SMS refused by the server ${n === 1 ? 'is' : 'are'} kept in the spool, not lost. See why with \`vcash sms spool${dd}\`; after fixing the cause (e.g. the right --store or --device-token), send ${n === 1 ? 'it' : 'them'} again with \`vcash sms spool${dd} --resend\` (plus the same --store/--server flags).`
}

/** The wire form of a tail event (snake_case parse, ISO times). */
export function eventJson(e: TailEvent): Record<string, unknown> {
  switch (e.type) {
    case 'sms':
      return {
        type: 'sms',
        serial: e.serial,
        id: e.message.id,
        sender: e.message.address,
        received_at: new Date(e.message.date).toISOString(),
        body: e.message.body,
        parse: parseResultToJson(e.parsed),
        forwarded: e.forwarded,
        duplicate: e.duplicate,
      }
    case 'delivered':
      return {type: 'delivered', key: e.entry.key, status: e.outcome.status, outcome: e.outcome.kind}
    case 'rejected':
      return {type: 'rejected', key: e.entry.key, status: e.status, code: e.code, message: e.message}
    default:
      return {...e}
  }
}
