import {Flags} from '@oclif/core'
import chalk from 'chalk'
import ora, {type Ora} from 'ora'

import {BaseCommand} from '../../cli/base-command.js'
import {err} from '../../cli/colour.js'
import {dataDir, server, store} from '../../cli/flags.js'
import {checkTargetStore, resolveTarget} from '../../agent/spool.js'
import {serverUnavailable, syncInbox} from '../../agent/tail.js'
import {parseSince} from '../../cli/since.js'
import {parseResultToJson, type SmsParseJson} from './parse.js'
import {deviceToken, forwardAll, formatSmsLine, promptForDevice, refusedHint, serial} from './tail.js'

export interface SmsSyncJson {
  serial: string
  since: string
  read: number
  new: number
  duplicate: number
  ignored: number
  already_delivered: number
  skipped: number
  rejected: number
  pending: number
  messages: {id: number; sender: string; received_at: string; outcome: string; parse: SmsParseJson}[]
}

export default class SmsSync extends BaseCommand {
  static override summary = 'Backfill a tethered phone\'s SMS inbox since a date into a server, idempotently'
  static override description = `Reads every message the phone received since --since (over adb, like \`vcash sms tail\`), and delivers the wallet ones to the server. Run it after an outage: what the server already has is reported as already known, never stored twice, so running it again is safe.

Messages go through the same durable spool as \`vcash sms tail\`: if the server cannot take them now they stay on disk and the command exits with code 69; run it again (or start tail) when the server is back. Messages the server refuses (HTTP 4xx) stay in the spool as rejected: see \`vcash sms spool\`.`

  static override examples = [
    {description: 'Backfill the last two days into the local server', command: '<%= config.bin %> sms sync --since 2d'},
    {description: 'Backfill since a date from a given phone into a remote server', command: '<%= config.bin %> sms sync --since 2026-04-13 --serial R58M123ABC --server https://pay.example.com --device-token vd_…'},
    {description: 'Show what happened to each message as JSON', command: '<%= config.bin %> sms sync --since 12h --json'},
  ]

  static override flags = {
    'data-dir': dataDir,
    server,
    'device-token': deviceToken,
    store,
    serial,
    since: Flags.string({summary: 'Read messages received from this time on: a date, an ISO time, or 12h / 3d back.', helpValue: 'DATE', required: true}),
    'forward-all': forwardAll,
  }

  async run(): Promise<SmsSyncJson> {
    const {flags} = await this.parse(SmsSync)
    const sinceMs = parseSince(flags.since).getTime()
    const where = {dataDir: flags['data-dir'], server: flags.server, deviceToken: flags['device-token'], storeId: flags.store}
    const target = resolveTarget(where)
    await checkTargetStore(where)
    const json = this.jsonEnabled()
    // ora spins forever on a terminal that reports 0 columns, and progress belongs on stderr.
    const spin: Ora | null = !json && process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 ? ora({stream: process.stderr, text: 'Reading the inbox…'}).start() : null
    const abort = new AbortController()
    const onSigint = () => abort.abort()
    process.once('SIGINT', onSigint)
    let result
    try {
      result = await syncInbox({
        dataDir: flags['data-dir'],
        target,
        serial: flags.serial,
        sinceMs,
        forward: flags['forward-all'] ? 'all' : 'wallet',
        prompt: this.canPrompt() && !spin ? promptForDevice : undefined,
        signal: abort.signal,
        onProgress: (p) => {
          if (spin) spin.text = p.phase === 'read' ? `Reading the inbox… ${p.done}/${p.total}` : `Sending to ${target.label}… ${p.done}/${p.total}`
        },
      })
    } catch (error) {
      spin?.fail()
      throw error
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
    spin?.succeed(`Read ${result.read} SMS from ${result.serial}`)
    if (!json) {
      for (const m of result.messages) {
        if (m.outcome === 'skipped') continue
        this.log(`${formatSmsLine({address: m.sender, date: Date.parse(m.receivedAt)}, m.parsed)}  ${chalk.dim(m.outcome.replace('_', ' '))}`)
      }
      this.note(`${result.new} new, ${result.duplicate + result.alreadyDelivered} already known, ${result.ignored} ignored, ${result.rejected} refused, ${result.skipped} not from a wallet sender.`)
      if (result.rejected > 0) this.note(err.yellow(refusedHint(result.rejected, flags['data-dir'])))
    }
    if (result.pending > 0) throw serverUnavailable(result, target.label)
    return {
      serial: result.serial,
      since: new Date(sinceMs).toISOString(),
      read: result.read,
      new: result.new,
      duplicate: result.duplicate,
      ignored: result.ignored,
      already_delivered: result.alreadyDelivered,
      skipped: result.skipped,
      rejected: result.rejected,
      pending: result.pending,
      messages: result.messages.map((m) => ({id: m.id, sender: m.sender, received_at: m.receivedAt, outcome: m.outcome, parse: parseResultToJson(m.parsed)})),
    }
  }
}
