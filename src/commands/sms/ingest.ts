import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {databaseUrl, dataDir, server, store} from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {readSmsFiles, type IngestInput} from '../../agent/ingest-files.js'
import {parseSms} from '../../sms/parse.js'
import {postSms, remoteTarget} from '../../agent/spool.js'
import {deviceToken, formatSmsLine} from './tail.js'

type Outcome = 'new' | 'duplicate' | 'ignored' | 'error'

export interface SmsIngestJson {
  files: number
  new: number
  duplicate: number
  ignored: number
  errors: number
  skipped: number
  items: {origin: string; sender: string; outcome: Outcome; status: number | null; transaction_id: string | null; message?: string}[]
  file_errors: {file: string; at: string | null; message: string}[]
}

type Send = (i: IngestInput) => Promise<{outcome: Outcome; status: number | null; transactionId: string | null; message?: string}>

function fromAdminOutcome(o: unknown): Outcome {
  return o === 'created' ? 'new' : o === 'duplicate' ? 'duplicate' : 'ignored'
}

export default class SmsIngest extends BaseCommand {
  static override summary = 'Ingest SMS from files and folders into a server, with a summary'
  static override description = `Reads SMS from fixture files (.txt: a "From:" header, an optional "Received:" header, a blank line, the body), JSON lines (.json/.jsonl: {"sender","body","received_at"} per line), and SMS Backup & Restore exports (.xml, or its JSON), walking folders recursively, and ingests each message like POST /api/sms: new receipts become PENDING transactions, repeats are reported as duplicates, non-receipts are stored as ignored.

Goes to --server with the store's device token when given; otherwise to the server that owns --data-dir, or straight into the data dir when no server is running. Unreadable files are listed and counted as errors; the others are still ingested.`

  static override examples = [
    {description: 'Ingest every fixture into the local data dir or its running server', command: '<%= config.bin %> sms ingest fixtures/sms'},
    {description: 'Ingest a phone backup into a remote server', command: '<%= config.bin %> sms ingest sms-20260413.xml --server https://pay.example.com --device-token vd_…'},
    {description: 'Get the summary as JSON', command: '<%= config.bin %> sms ingest inbox.jsonl --json'},
  ]

  static override strict = false
  static override args = {
    paths: Args.string({description: 'Files or folders to read (.txt, .json, .jsonl, .xml).', required: true}),
  }

  static override flags = {
    'data-dir': dataDir,
    'database-url': databaseUrl,
    server,
    'device-token': deviceToken,
    store,
  }

  async run(): Promise<SmsIngestJson> {
    const {argv, flags} = await this.parse(SmsIngest)
    const paths = argv as string[]
    const read = readSmsFiles(paths)
    if (read.files === 0 && read.errors.length > 0 && read.inputs.length === 0) {
      throw new VcashError('invalid_input', `Nothing to ingest: ${read.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`, {exit: EXIT.input})
    }
    const result: SmsIngestJson = {files: read.files, new: 0, duplicate: 0, ignored: 0, errors: read.errors.length, skipped: read.skipped, items: [], file_errors: read.errors.map((e) => ({file: e.file, at: e.at ?? null, message: e.message}))}
    const go = async (send: Send) => {
      for (const input of read.inputs) {
        const r = await send(input)
        result[r.outcome === 'error' ? 'errors' : r.outcome]++
        result.items.push({origin: input.origin, sender: input.sender, outcome: r.outcome, status: r.status, transaction_id: r.transactionId, ...(r.message ? {message: r.message} : {})})
        if (!this.jsonEnabled()) {
          const line = formatSmsLine({address: input.sender, body: input.body, date: input.receivedAt ? Date.parse(input.receivedAt) : Date.now()}, parseSms({sender: input.sender, body: input.body}))
          this.log(`${line}  ${r.outcome === 'error' ? chalk.red(r.message ?? 'error') : chalk.dim(r.outcome)}`)
        }
      }
    }
    if (flags.server) {
      if (!flags['device-token']) {
        throw new VcashError('device_token_required', `Sending SMS to ${flags.server} needs the store's device token.`, {suggestion: 'Pass --device-token TOKEN or set VCASH_DEVICE_TOKEN.', exit: EXIT.config})
      }
      const target = remoteTarget(flags.server, flags['device-token'])
      await go(async (i) => {
        const o = await postSms(target, {sender: i.sender, body: i.body, received_at: i.receivedAt ?? new Date().toISOString()})
        if (o.kind === 'retry') throw new VcashError('server_unreachable', `${target.label}: ${o.message}`, {exit: EXIT.unavailable, suggestion: 'Start the server and run the same command again; what it already has is reported as duplicate.'})
        if (o.kind === 'rejected') return {outcome: 'error', status: o.status, transactionId: null, message: o.message}
        const tx = (o.body as {transaction?: {id?: string} | null} | null)?.transaction?.id ?? null
        return {outcome: o.kind === 'duplicate' ? 'duplicate' : o.kind === 'ignored' ? 'ignored' : 'new', status: o.status, transactionId: tx}
      })
    } else {
      await this.withData(flags['data-dir'], async (l) => {
        const s = await l.service.resolveStore(flags.store)
        await go(async (i) => {
          const r = await l.service.ingestSms(s, {sender: i.sender, body: i.body, receivedAt: i.receivedAt, source: 'file'})
          return {outcome: fromAdminOutcome(r.outcome), status: null, transactionId: r.transaction?.id ?? null}
        })
      })
    }
    if (!this.jsonEnabled()) {
      for (const e of read.errors) this.note(chalk.red(`${e.file}${e.at ?? ''}: ${e.message}`))
      this.note(`${result.new} new, ${result.duplicate} duplicate, ${result.ignored} ignored, ${result.errors} errors${result.skipped ? `, ${result.skipped} skipped (sent/MMS)` : ''} from ${result.files} file(s).`)
    }
    return result
  }
}
