import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import {readFile} from 'node:fs/promises'

import {BaseCommand} from '../../cli/base-command.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {formatMoney} from '../../core/money.js'
import {parseFixtureText} from '../../sms/fixture-file.js'
import {parseSms} from '../../sms/parse.js'
import type {ParseResult} from '../../sms/types.js'

export const DEFAULT_SENDER = 'VF-Cash'

export type SmsParseJson =
  | {
      kind: 'receive'
      provider: string
      amount: string
      sender_phone: string | null
      sender_name: string | null
      reference: string | null
      balance: string | null
      occurred_at: string | null
      template: string
      /** Bank credits only: the payer's InstaPay address and the credited account's last digits. */
      payer_address?: string
      account_last4?: string
    }
  | {kind: 'ignored'; reason: string; provider: string | null}

/** The wire (snake_case, decimal strings) form of a parse, as `--json` and fixtures use it. */
export function parseResultToJson(r: ParseResult): SmsParseJson {
  if (r.kind === 'ignored') return {kind: 'ignored', reason: r.reason, provider: r.provider}
  return {
    kind: 'receive',
    provider: r.provider,
    amount: formatMoney(r.amount),
    sender_phone: r.senderPhone,
    sender_name: r.senderName,
    reference: r.reference,
    balance: r.balance === null ? null : formatMoney(r.balance),
    occurred_at: r.occurredAt,
    template: r.template,
    ...(r.payerAddress ? {payer_address: r.payerAddress} : {}),
    ...(r.accountLast4 ? {account_last4: r.accountLast4} : {}),
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

export default class SmsParse extends BaseCommand {
  static override summary = 'Parse one wallet SMS and show what vcash reads from it'
  static override description = `Reads a "money received" SMS from Vodafone Cash, e& money, Orange Cash or a bank's InstaPay credit and prints the payment it describes: amount, payer phone and name, reference, balance and time. Anything else (sends, cash-outs, balance replies, promotions), a paste of two messages, or a receipt from an ordinary phone number (a known fraud) is reported as ignored with a reason.

The SMS comes from the argument, from --file, or from stdin when stdin is not a terminal. A --file in the fixture format (a "From: <sender>" header, a blank line, then the body) uses its own sender unless --sender is given. Nothing is stored.`

  static override examples = [
    {description: 'Parse a pasted Vodafone Cash SMS', command: `<%= config.bin %> sms parse 'تم استلام مبلغ 400.00 جنيه من 01000000006؛ …' --sender VF-Cash`},
    {description: 'Parse a fixture file (its From header gives the sender)', command: '<%= config.bin %> sms parse --file fixtures/sms/vf-r1-arabic-multiline.txt'},
    {description: 'Parse from stdin and print the result as JSON', command: `pbpaste | <%= config.bin %> sms parse --sender 'e& money' --json`},
  ]

  static override args = {
    text: Args.string({description: 'The SMS body (quote it). Omit to use --file or stdin.'}),
  }

  static override flags = {
    file: Flags.string({
      summary: 'Read the SMS from this file (plain body, or the fixture format with a From header).',
      helpValue: 'PATH',
    }),
    sender: Flags.string({
      summary: `The SMS address (sender id) the message came from [default: ${DEFAULT_SENDER}].`,
      helpValue: 'SENDER',
    }),
  }

  async run(): Promise<SmsParseJson> {
    const {args, flags} = await this.parse(SmsParse)
    if (args.text !== undefined && flags.file !== undefined) {
      throw new VcashError('invalid_input', 'give the SMS either as an argument or with --file, not both', {exit: EXIT.usage})
    }

    let body: string
    let sender = flags.sender
    if (args.text !== undefined) {
      body = args.text
    } else if (flags.file !== undefined) {
      let content: string
      try {
        content = await readFile(flags.file, 'utf8')
      } catch (error) {
        throw new VcashError('invalid_input', `cannot read --file ${flags.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          suggestion: 'Check the path, or pipe the SMS on stdin instead.',
          exit: EXIT.input,
          cause: error,
        })
      }
      if (/^\uFEFF?From\s*:/i.test(content)) {
        const fx = parseFixtureText(content)
        body = fx.body
        sender ??= fx.sender
      } else {
        body = content
      }
    } else if (!process.stdin.isTTY) {
      body = await readStdin()
    } else {
      throw new VcashError('invalid_input', 'no SMS given', {
        suggestion: 'Pass the SMS text as an argument, use --file PATH, or pipe it on stdin.',
        exit: EXIT.usage,
      })
    }

    const result = parseResultToJson(parseSms({sender: sender ?? DEFAULT_SENDER, body}))
    if (!this.jsonEnabled()) this.log(this.describe(result))
    return result
  }

  private describe(r: SmsParseJson): string {
    if (r.kind === 'ignored') {
      return `${chalk.yellow('ignored')}  ${r.reason}${r.provider ? chalk.dim(`  (${r.provider})`) : ''}`
    }
    const who = [r.sender_phone, r.sender_name].filter((x): x is string => x !== null).join(' · ') || 'unknown payer'
    const lines = [
      `${chalk.green('received')}  ${chalk.bold(`${r.amount} EGP`)}  ${r.provider}  from ${who}`,
      `  reference  ${r.reference ?? chalk.dim('none (deduplicated by fingerprint)')}`,
      `  balance    ${r.balance ?? chalk.dim('not in the SMS')}`,
      `  time       ${r.occurred_at ?? chalk.dim('not in the SMS (the phone\'s receive time is used)')}`,
      chalk.dim(`  template   ${r.template}`),
    ]
    return lines.join('\n')
  }
}
