import {Flags} from '@oclif/core'
import chalk from 'chalk'
import path from 'node:path'

import {BaseCommand} from '../../cli/base-command.js'
import {err} from '../../cli/colour.js'
import {dataDir, server, store} from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {parseSms} from '../../sms/parse.js'
import {checkTargetStore, type Rejection, resendRejected, resolveTarget, Spool, type SpoolEntry, spoolFiles} from '../../agent/spool.js'
import {type Column, renderTable} from '../../cli/table.js'
import {formatMoney} from '../../core/money.js'
import {deviceToken} from './tail.js'

export interface SmsSpoolEntryJson {
  state: 'pending' | 'rejected'
  key: string
  seq: number
  /** The spool file (under DATA_DIR/sms) holding the entry. */
  spool: string
  /** Where that spool was delivering to: `local:DATA_DIR:STORE` or `remote:URL`; null for spools written by older versions. */
  target: string | null
  sender: string
  body: string
  received_at: string
  added_at: string
  source: string
  /** What the server said when it refused the entry; null while pending. */
  rejection: Rejection | null
}

export interface SmsSpoolJson {
  pending: number
  rejected: number
  /** What the spool holds (after --resend / --discard when given), oldest first per spool. */
  entries: SmsSpoolEntryJson[]
  resend: {target: string; delivered: number; duplicate: number; ignored: number; rejected: number; not_sent: number} | null
  discarded: number | null
}

/** A short name for a spool's destination, from its spool key. */
export function describeSpoolTarget(target: string | null): string {
  if (target === null) return 'unknown destination (spool from an older vcash)'
  if (target.startsWith('remote:')) return target.slice('remote:'.length)
  if (target.startsWith('local:')) {
    const rest = target.slice('local:'.length)
    const i = rest.lastIndexOf(':')
    const storeId = rest.slice(i + 1)
    return `the local server for ${rest.slice(0, i)}${storeId ? `, store ${storeId}` : ', no --store'}`
  }
  return target
}

function entryJson(file: string, target: string | null, e: SpoolEntry, rejection: Rejection | null): SmsSpoolEntryJson {
  return {
    state: rejection ? 'rejected' : 'pending',
    key: e.key,
    seq: e.seq,
    spool: path.basename(file),
    target,
    sender: e.sender,
    body: e.body,
    received_at: e.receivedAt,
    added_at: e.addedAt,
    source: e.source,
    rejection,
  }
}

function snapshot(dir: string): SmsSpoolEntryJson[] {
  return spoolFiles(dir).flatMap((file) => {
    const s = Spool.inspect(file)
    return [...s.rejected().map(({rejection, ...e}) => entryJson(file, s.target, e, rejection)), ...s.pending().map((e) => entryJson(file, s.target, e, null))]
  })
}

export default class SmsSpool extends BaseCommand {
  static override summary = 'List SMS waiting in the spool or refused by the server, and send refused ones again'
  static override description = `\`vcash sms tail\` and \`vcash sms sync\` write every wallet SMS to a spool under DATA_DIR/sms before sending it. An entry leaves the spool only when a server acknowledged it (HTTP 2xx). Until then it is either pending (the server could not take it yet: down, 5xx, 429; tail retries it by itself) or rejected (the server refused it with a 4xx, e.g. 400 store_required; it is kept with the server's answer and is not retried by itself).

Without flags this lists both (read-only; a running tail is not disturbed). After fixing the cause, --resend sends the rejected ones again to the server chosen like \`vcash sms tail\` does (the local server with --store, or --server with --device-token): acknowledged ones leave the spool, ones refused again stay with the new answer. --discard forgets rejected ones for good. --key limits either to some entries.`

  static override examples = [
    {description: 'What is waiting or was refused, and why', command: '<%= config.bin %> sms spool'},
    {description: 'Send the refused SMS again to the right store of the local server', command: '<%= config.bin %> sms spool --resend --store st_abc123'},
    {description: 'Send them to a remote server instead', command: '<%= config.bin %> sms spool --resend --server https://pay.example.com --device-token vd_…'},
    {description: 'Forget one refused SMS that will never be accepted', command: '<%= config.bin %> sms spool --discard --key adb:R58M123ABC:812:1776110649000'},
    {description: 'The spool as JSON', command: '<%= config.bin %> sms spool --json'},
  ]

  static override flags = {
    'data-dir': dataDir,
    resend: Flags.boolean({summary: 'Send the rejected entries again (to the local server, or --server), removing the ones it acknowledges.', default: false, exclusive: ['discard']}),
    discard: Flags.boolean({summary: 'Forget the rejected entries for good (they are never sent).', default: false, exclusive: ['resend']}),
    key: Flags.string({summary: 'With --resend or --discard: only the entry with this key (repeatable; see the listing).', multiple: true, helpValue: 'KEY'}),
    server,
    'device-token': deviceToken,
    store,
  }

  async run(): Promise<SmsSpoolJson> {
    const {flags} = await this.parse(SmsSpool)
    const dir = flags['data-dir']
    const keys = flags.key ? new Set(flags.key) : null
    if (keys && !flags.resend && !flags.discard) {
      throw new VcashError('invalid_input', '--key selects entries for --resend or --discard', {suggestion: 'Add --resend or --discard, or drop --key to list everything.', exit: EXIT.usage, errors: [{field: 'key', message: 'needs --resend or --discard'}]})
    }
    const selected = (e: {key: string}) => !keys || keys.has(e.key)
    const before = snapshot(dir)
    const chosen = before.filter((e) => e.state === 'rejected' && selected(e))
    if (keys) {
      const unknown = [...keys].filter((k) => !chosen.some((e) => e.key === k))
      if (unknown.length > 0) {
        throw new VcashError('not_found', `No rejected entry with key ${unknown.map((k) => `"${k}"`).join(', ')} in the spool of ${dir}.`, {suggestion: 'List the spool with `vcash sms spool` and copy a key from a rejected entry.', exit: EXIT.usage, http: 404})
      }
    }
    const files = [...new Set(chosen.map((e) => e.spool))].map((f) => path.join(dir, 'sms', f))
    let resend: SmsSpoolJson['resend'] = null
    let discarded: number | null = null
    let serverError: string | null = null

    if (flags.discard) {
      discarded = 0
      for (const file of files) {
        const s = Spool.openFile(file)
        try {
          for (const e of s.rejected().filter(selected)) {
            s.discard(e.seq)
            discarded++
          }
        } finally {
          s.close()
        }
      }
    }

    if (flags.resend && chosen.length > 0) {
      const where = {dataDir: dir, server: flags.server, deviceToken: flags['device-token'], storeId: flags.store}
      const target = resolveTarget(where)
      await checkTargetStore(where)
      const r = {target: target.label, delivered: 0, duplicate: 0, ignored: 0, rejected: 0, not_sent: 0}
      const abort = new AbortController()
      const onSigint = () => abort.abort()
      process.once('SIGINT', onSigint)
      try {
        for (const file of files) {
          if (serverError !== null || abort.signal.aborted) break
          const s = Spool.openFile(file)
          try {
            const res = await resendRejected(
              s,
              target,
              {
                delivered: (entry, outcome) => {
                  r[outcome.kind === 'duplicate' ? 'duplicate' : outcome.kind === 'ignored' ? 'ignored' : 'delivered']++
                  this.note(`${err.green('sent')} ${entry.key}${outcome.kind === 'duplicate' ? err.dim(' (the server already had it)') : ''}`)
                },
                rejected: (entry, outcome) => {
                  r.rejected++
                  this.note(`${err.red('refused again')} ${entry.key} (HTTP ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}): ${outcome.message}`)
                },
              },
              abort.signal,
              selected,
            )
            if (!res.ok) serverError = res.message
          } finally {
            s.close()
          }
        }
      } finally {
        process.removeListener('SIGINT', onSigint)
      }
      r.not_sent = chosen.length - r.delivered - r.duplicate - r.ignored - r.rejected
      resend = r
    }

    const entries = resend || discarded !== null ? snapshot(dir) : before
    const result: SmsSpoolJson = {
      pending: entries.filter((e) => e.state === 'pending').length,
      rejected: entries.filter((e) => e.state === 'rejected').length,
      entries,
      resend,
      discarded,
    }
    if (!this.jsonEnabled()) this.print(result, flags.resend && chosen.length === 0)
    if (serverError !== null && resend) {
      throw new VcashError('server_unreachable', `${resend.not_sent} refused SMS could not be sent to ${resend.target}: ${serverError}. They are still kept in the spool.`, {
        suggestion: 'Start the server (`vcash serve`) and run the same command again.',
        exit: EXIT.unavailable,
      })
    }
    if (resend && resend.rejected > 0) process.exitCode = EXIT.failure
    return result
  }

  private print(r: SmsSpoolJson, nothingToResend: boolean): void {
    if (r.entries.length > 0) {
      const rejected = r.entries.some((e) => e.rejection)
      const columns: Column<SmsSpoolEntryJson>[] = [
        {key: 'state', header: 'STATE', get: (e) => e.state, colour: (t, e) => (e.state === 'rejected' ? chalk.red : chalk.yellow)(t)},
        {key: 'received_at', header: 'RECEIVED (UTC)', get: (e) => e.received_at},
        {key: 'sender', header: 'SENDER', get: (e) => e.sender},
        {key: 'sms', header: 'SMS', get: (e) => smsGist(e)},
        ...(rejected ? [{key: 'refused', header: 'REFUSED', get: (e: SmsSpoolEntryJson) => (e.rejection ? `HTTP ${e.rejection.status}${e.rejection.code ? ` ${e.rejection.code}` : ''}: ${e.rejection.message}` : null), colour: (t: string) => chalk.red(t)}] : []),
        {key: 'to', header: 'TO', get: (e) => describeSpoolTarget(e.target)},
        {key: 'key', header: 'KEY', get: (e) => e.key},
      ]
      process.stdout.write(renderTable(r.entries, columns, {header: chalk.bold}))
    }
    if (r.resend) {
      const s = r.resend
      this.note(`Resent to ${s.target}: ${s.delivered} delivered, ${s.duplicate} already known, ${s.ignored} stored as ignored, ${s.rejected} refused again, ${s.not_sent} not sent.`)
    }
    if (nothingToResend) this.note('Nothing to resend: no rejected SMS in the spool.')
    if (r.discarded !== null) this.note(`Discarded ${r.discarded} rejected SMS.`)
    this.note(`${r.rejected} rejected, ${r.pending} pending in the spool.`)
    if (r.rejected > 0) this.note(err.yellow('Fix the cause (e.g. the right --store, --server or --device-token), then send them again with `vcash sms spool --resend` and the same flags; or forget them with --discard.'))
    if (r.pending > 0) this.note(err.dim('Pending SMS are delivered by `vcash sms tail` (or `vcash sms sync`) when the server can take them.'))
  }
}

/** What the SMS says, in a few words: the payment it reads as, or why it is not one. */
function smsGist(e: SmsSpoolEntryJson): string {
  const p = parseSms({sender: e.sender, body: e.body})
  if (p.kind === 'receive') return `${formatMoney(p.amount)} EGP from ${p.senderPhone ?? p.senderName ?? 'unknown payer'}`
  return `not a receipt (${p.reason})`
}
