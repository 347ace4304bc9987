import ipaddr from 'ipaddr.js'
import {z} from 'zod'

import {DEFAULT_ANTISPAM_RULES} from './antispam.js'
import {VcashError} from './errors.js'
import {DEFAULT_DEVICE_SILENCE_MINUTES, DEFAULT_GATES, deviceSilenceMinutes, gatesOf} from './gates.js'
import {type CallbackConfig, PROVIDERS, type StoreRecord} from './model.js'
import {tryNormalisePhone} from './phone.js'
import {formatMoney, formatRate, parseRate, tryParseMoney} from './money.js'

/**
 * What a merchant can set on a store, validated once here for the wizard, flags, the
 * admin API and files alike (zod: one schema, field-level messages for free).
 */
const httpUrl = z.string().trim().refine((s) => {
  try {
    const u = new URL(s)
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password
  } catch {
    return false
  }
}, 'must be an http(s) URL without credentials')

const cidr = z.string().trim().refine((s) => {
  try {
    if (s.includes('/')) ipaddr.parseCIDR(s)
    else ipaddr.parse(s)
    return true
  } catch {
    return false
  }
}, 'must be an IP address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)')

export const callbackSchema = z.discriminatedUnion('kind', [
  z.object({kind: z.literal('none')}),
  z.object({kind: z.literal('get'), url: httpUrl}),
  z.object({kind: z.literal('webhook'), url: httpUrl}),
  z.object({
    kind: z.literal('whmcs'),
    url: httpUrl.transform((s) => s.replace(/\/+$/, '').replace(/\/includes\/api\.php$/, '')),
    identifier: z.string().trim().min(1, 'the WHMCS API identifier is required'),
    secret: z.string().trim().min(1, 'the WHMCS API secret is required'),
  }),
])

/** A wallet provider's number is a mobile phone; InstaPay takes an address, a phone or an account's last digits. */
export const payToSchema = z.object({
  provider: z.enum(PROVIDERS),
  wallet: z.string().trim().min(1).max(80),
}).transform((p, ctx) => {
  const phone = tryNormalisePhone(p.wallet)
  if (phone) return {provider: p.provider, wallet: phone}
  if (p.provider === 'instapay') {
    const address = p.wallet.toLowerCase()
    if (/^[a-z0-9._-]{2,60}@instapay$/.test(address)) return {provider: p.provider, wallet: address}
    if (/^\d{3,6}$/.test(p.wallet)) return {provider: p.provider, wallet: p.wallet}
    ctx.addIssue({code: 'custom', message: 'InstaPay: an address like name@instapay, a mobile number, or the account\'s last 3 to 6 digits'})
    return z.NEVER
  }
  ctx.addIssue({code: 'custom', message: 'not an Egyptian mobile number (e.g. 01012345678)'})
  return z.NEVER
})

const moneyString = z.string().refine((s) => tryParseMoney(s) !== null, 'must be an amount like 500 or 1,000.50')

export const storeSettingsSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  callback: callbackSchema,
  rate: z.string().trim().default('1').transform((s, ctx) => {
    try {
      return formatRate(parseRate(s))
    } catch (error) {
      ctx.addIssue({code: 'custom', message: (error as Error).message.replace(/^rate: /, '')})
      return z.NEVER
    }
  }),
  currencyLabel: z.string().trim().min(1).max(12).default('EGP'),
  antiSpam: z.object({
    enabled: z.boolean().default(false),
    amountOver: moneyString.nullable().default(null),
    firstPayment: z.boolean().default(DEFAULT_ANTISPAM_RULES.firstPayment),
    failedChecksBefore: z.number().int().min(1).max(100).nullable().default(DEFAULT_ANTISPAM_RULES.failedChecksBefore),
    duplicatePending: z.boolean().default(DEFAULT_ANTISPAM_RULES.duplicatePending),
  }).default({enabled: false, amountOver: null, firstPayment: false, failedChecksBefore: null, duplicatePending: true}),
  requireToken: z.boolean().default(false),
  allowIps: z.array(cidr).max(100).default([]),
  matchWindowMinutes: z.number().int().min(1).max(60 * 24 * 30).default(60 * 24),
  mode: z.enum(['development', 'production']).default('production'),
  forwarderSigningKey: z.string().trim().min(8, 'must be at least 8 characters').max(256).nullable().default(null),
  payTo: z.array(payToSchema).max(20).default([]),
  gates: z.object({
    receiptAgeLimitMinutes: z.number().int().min(5).max(60 * 24 * 365).nullable().default(DEFAULT_GATES.receiptAgeLimitMinutes),
    holdForeignWallet: z.boolean().default(DEFAULT_GATES.holdForeignWallet),
    balanceChain: z.enum(['hold', 'mark', 'off']).default(DEFAULT_GATES.balanceChain),
    allowNoSenderId: z.boolean().default(DEFAULT_GATES.allowNoSenderId),
  }).default({...DEFAULT_GATES}),
  deviceSilenceMinutes: z.number().int().min(1).max(60 * 24 * 30).default(DEFAULT_DEVICE_SILENCE_MINUTES),
}).superRefine((s, ctx) => {
  // Catch it when the merchant sets it up, not hours later when the first delivery is refused.
  if (s.mode === 'production' && s.callback.kind !== 'none' && s.callback.url.startsWith('http:')) {
    ctx.addIssue({code: 'custom', path: ['callback', 'url'], message: 'production mode sends only to https URLs (use --mode development to test against http://localhost)'})
  }
})

export type StoreSettingsInput = z.input<typeof storeSettingsSchema>
export type StoreSettings = z.output<typeof storeSettingsSchema>

export function validationError(error: z.ZodError, prefix = ''): VcashError {
  const errors = error.issues.map((i) => ({field: prefix + i.path.join('.'), message: i.message}))
  const first = errors[0]!
  return new VcashError('invalid_input', `${first.field || 'input'}: ${first.message}`, {http: 400, errors, suggestion: errors.length > 1 ? `${errors.length} problems; see errors.` : undefined})
}

export function parseStoreSettings(input: unknown): StoreSettings {
  const r = storeSettingsSchema.safeParse(input)
  if (!r.success) throw validationError(r.error)
  return r.data
}

/** The settings view of a record (for `store set`: merge a patch, re-validate the whole). */
export function settingsOf(s: StoreRecord): StoreSettingsInput {
  return {
    name: s.name,
    callback: s.callback,
    rate: s.rate,
    currencyLabel: s.currencyLabel,
    antiSpam: {
      enabled: s.antiSpam.enabled,
      amountOver: s.antiSpam.rules.amountOver === null ? null : formatMoney(s.antiSpam.rules.amountOver),
      firstPayment: s.antiSpam.rules.firstPayment,
      failedChecksBefore: s.antiSpam.rules.failedChecksBefore,
      duplicatePending: s.antiSpam.rules.duplicatePending,
    },
    requireToken: s.requireToken,
    allowIps: s.allowIps,
    matchWindowMinutes: s.matchWindowMinutes,
    mode: s.mode,
    forwarderSigningKey: s.forwarderSigningKey ?? null,
    payTo: s.payTo ?? [],
    gates: gatesOf(s),
    deviceSilenceMinutes: deviceSilenceMinutes(s),
  }
}

/** A store as shown to its owner: secrets reduced to whether they are set. */
export function publicStore(s: StoreRecord): Record<string, unknown> {
  const callback: Record<string, unknown> = {kind: s.callback.kind}
  if (s.callback.kind !== 'none') callback.url = s.callback.url
  if (s.callback.kind === 'whmcs') {
    callback.identifier = s.callback.identifier
    callback.secret_set = s.callback.secret.length > 0
  }
  return {
    id: s.id,
    name: s.name,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    callback,
    rate: s.rate,
    currency_label: s.currencyLabel,
    anti_spam: {
      enabled: s.antiSpam.enabled,
      amount_over: s.antiSpam.rules.amountOver === null ? null : formatMoney(s.antiSpam.rules.amountOver),
      first_payment: s.antiSpam.rules.firstPayment,
      failed_checks_before: s.antiSpam.rules.failedChecksBefore,
      duplicate_pending: s.antiSpam.rules.duplicatePending,
    },
    require_token: s.requireToken,
    allow_ips: s.allowIps,
    match_window_minutes: s.matchWindowMinutes,
    mode: s.mode,
    forwarder_signing_key_set: Boolean(s.forwarderSigningKey),
    pay_to: s.payTo ?? [],
    gates: ((g) => ({
      receipt_age_limit_minutes: g.receiptAgeLimitMinutes,
      hold_foreign_wallet: g.holdForeignWallet,
      balance_chain: g.balanceChain,
      allow_no_sender_id: g.allowNoSenderId,
    }))(gatesOf(s)),
    device_silence_minutes: deviceSilenceMinutes(s),
  }
}

export type {CallbackConfig}
