/**
 * The `vcash store init` wizard: one question per missing answer, each checked when it is
 * given with the same zod schemas the store settings are validated with (src/core/store-settings.ts),
 * so a bad URL is asked again at once, not reported after the last question.
 */
import type {confirm as confirmPrompt, input as inputPrompt, password as passwordPrompt, select as selectPrompt} from '@inquirer/prompts'
import type {z} from 'zod'

import {callbackSchema, storeSettingsSchema} from '../core/store-settings.js'
import type {StoreAnswers} from './store-flags.js'

/** The prompts the wizard uses: @inquirer/prompts in the CLI, driven ones in tests. */
export interface WizardPrompts {
  input: typeof inputPrompt
  select: typeof selectPrompt
  password: typeof passwordPrompt
  confirm: typeof confirmPrompt
}

type Check = (value: string) => true | string

/** A prompt `validate` from a schema: true, or the schema's first message for `field`. */
function check(parse: (value: string) => z.ZodSafeParseResult<unknown>, field?: string): Check {
  return (value) => {
    const r = parse(value)
    if (r.success) return true
    const issue = r.error.issues.find((i) => field === undefined || i.path.join('.') === field) ?? (field === undefined ? r.error.issues[0] : undefined)
    return issue ? issue.message : true
  }
}

const shape = storeSettingsSchema.shape

/** Per-question checks, each from the schema of the field it answers. */
export const validateAnswer = {
  name: check((v) => shape.name.safeParse(v)),
  callbackUrl: (kind: 'get' | 'webhook') => check((v) => callbackSchema.safeParse({kind, url: v}), 'url'),
  whmcsUrl: check((v) => callbackSchema.safeParse({kind: 'whmcs', url: v, identifier: 'x', secret: 'x'}), 'url'),
  whmcsIdentifier: check((v) => callbackSchema.safeParse({kind: 'whmcs', url: 'https://x.invalid', identifier: v, secret: 'x'}), 'identifier'),
  whmcsSecret: check((v) => callbackSchema.safeParse({kind: 'whmcs', url: 'https://x.invalid', identifier: 'x', secret: v}), 'secret'),
  rate: check((v) => shape.rate.safeParse(v)),
  currencyLabel: check((v) => shape.currencyLabel.safeParse(v)),
  holdOver: check((v) => (v.trim() === '' ? {success: true, data: null} as z.ZodSafeParseResult<unknown> : shape.antiSpam.safeParse({amountOver: v.trim()})), 'amountOver'),
}

/** Ask for what `a` lacks; prompts write to `output` (stderr: stdout is for results). */
export async function askStore(a: StoreAnswers, p: WizardPrompts, output: NodeJS.WritableStream = process.stderr): Promise<StoreAnswers> {
  const ctx = {output}
  const out: StoreAnswers = {...a}
  out.name ??= (await p.input({message: 'Store name', required: true, validate: validateAnswer.name}, ctx)).trim()
  out.callback ??= await p.select({
    message: 'How should vcash tell your site a payment was confirmed?',
    choices: [
      {name: 'WHMCS (AddCredit through the WHMCS API)', value: 'whmcs' as const},
      {name: 'Signed webhook (POST JSON, Standard Webhooks)', value: 'webhook' as const},
      {name: 'GET callback to a URL (signed query string)', value: 'get' as const},
      {name: 'None (my site asks payment_link_check and reads the answer)', value: 'none' as const},
    ],
  }, ctx)
  if (out.callback === 'whmcs') {
    out.whmcsUrl ??= (await p.input({message: 'WHMCS base URL (e.g. https://billing.example.com)', required: true, validate: validateAnswer.whmcsUrl}, ctx)).trim()
    out.whmcsIdentifier ??= (await p.input({message: 'WHMCS API identifier', required: true, validate: validateAnswer.whmcsIdentifier}, ctx)).trim()
    out.whmcsSecret ??= await p.password({message: 'WHMCS API secret', mask: '*', validate: validateAnswer.whmcsSecret}, ctx)
    out.rate ??= (await p.input({message: 'Rate: EGP per unit of your WHMCS currency', default: '1', validate: validateAnswer.rate}, ctx)).trim()
    out.currencyLabel ??= (await p.input({message: 'Currency label (EGP, USD, USDT, عملة)', default: 'EGP', validate: validateAnswer.currencyLabel}, ctx)).trim()
  } else if (out.callback === 'webhook' || out.callback === 'get') {
    out.callbackUrl ??= (await p.input({message: 'Callback URL', required: true, validate: validateAnswer.callbackUrl(out.callback)}, ctx)).trim()
  }
  const url = out.callback === 'whmcs' ? out.whmcsUrl : out.callbackUrl
  if (url?.startsWith('http:') && out.mode === undefined) {
    const dev = await p.confirm({message: 'That URL is not https. Use development mode (allows http://localhost; not for production)?', default: true}, ctx)
    out.mode = dev ? 'development' : 'production'
  }
  out.antiSpam ??= await p.confirm({message: 'Turn on anti-spam (hold suspicious matches for your approval)?', default: false}, ctx)
  if (out.antiSpam && out.holdOver === undefined) {
    const v = await p.input({message: 'Hold transfers above this amount (EGP, empty for no limit)', default: '', validate: validateAnswer.holdOver}, ctx)
    if (v.trim()) out.holdOver = v.trim()
  }
  return out
}
