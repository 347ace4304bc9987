import type {StoreSettingsInput} from '../core/store-settings.js'

/** Store answers as the CLI collects them (flags or wizard), before validation. */
export interface StoreAnswers {
  name?: string
  callback?: 'none' | 'get' | 'whmcs' | 'webhook'
  callbackUrl?: string
  whmcsUrl?: string
  whmcsIdentifier?: string
  whmcsSecret?: string
  rate?: string
  currencyLabel?: string
  antiSpam?: boolean
  holdOver?: string
  holdFirstPayment?: boolean
  holdAfterFailedChecks?: number
  holdDuplicates?: boolean
  requireToken?: boolean
  allowIp?: string[]
  matchWindow?: number
  mode?: 'development' | 'production'
  forwarderSigningKey?: string
  /** provider:wallet pairs; ['off'] clears. */
  payTo?: string[]
  /** Minutes, or null for off. */
  receiptAgeLimit?: number | null
  holdForeignWallet?: boolean
  balanceChain?: 'hold' | 'mark' | 'off'
  allowNoSenderId?: boolean
  deviceSilenceLimit?: number
}

/** Turn answers into a settings patch: only what was given, so `store set` changes just that. */
export function answersToSettings(a: StoreAnswers, current?: StoreSettingsInput): Partial<StoreSettingsInput> {
  const out: Partial<StoreSettingsInput> = {}
  if (a.name !== undefined) out.name = a.name
  const kind = a.callback ?? (a.callbackUrl || a.whmcsUrl || a.whmcsIdentifier || a.whmcsSecret ? current?.callback.kind : undefined)
  if (kind !== undefined) {
    const cur = current?.callback
    const curUrl = cur && cur.kind !== 'none' ? cur.url : undefined
    if (kind === 'none') out.callback = {kind: 'none'}
    else if (kind === 'whmcs') {
      out.callback = {
        kind: 'whmcs',
        url: a.whmcsUrl ?? a.callbackUrl ?? curUrl ?? '',
        identifier: a.whmcsIdentifier ?? (cur?.kind === 'whmcs' ? cur.identifier : ''),
        secret: a.whmcsSecret ?? (cur?.kind === 'whmcs' ? cur.secret : ''),
      }
    } else out.callback = {kind, url: a.callbackUrl ?? curUrl ?? ''}
  }
  if (a.rate !== undefined) out.rate = a.rate
  if (a.currencyLabel !== undefined) out.currencyLabel = a.currencyLabel
  const spam: NonNullable<StoreSettingsInput['antiSpam']> = {}
  if (a.antiSpam !== undefined) spam.enabled = a.antiSpam
  if (a.holdOver !== undefined) spam.amountOver = a.holdOver === 'off' ? null : a.holdOver
  if (a.holdFirstPayment !== undefined) spam.firstPayment = a.holdFirstPayment
  if (a.holdAfterFailedChecks !== undefined) spam.failedChecksBefore = a.holdAfterFailedChecks === 0 ? null : a.holdAfterFailedChecks
  if (a.holdDuplicates !== undefined) spam.duplicatePending = a.holdDuplicates
  if (Object.keys(spam).length > 0) out.antiSpam = spam
  if (a.requireToken !== undefined) out.requireToken = a.requireToken
  if (a.allowIp !== undefined) out.allowIps = a.allowIp
  if (a.matchWindow !== undefined) out.matchWindowMinutes = a.matchWindow
  if (a.mode !== undefined) out.mode = a.mode
  if (a.payTo !== undefined) {
    out.payTo = a.payTo.includes('off') ? [] : a.payTo.map((p) => {
      const i = p.indexOf(':')
      return {provider: (i > 0 ? p.slice(0, i) : p) as 'vodafone_cash', wallet: i > 0 ? p.slice(i + 1) : ''}
    })
  }
  const gates: NonNullable<StoreSettingsInput['gates']> = {}
  if (a.receiptAgeLimit !== undefined) gates.receiptAgeLimitMinutes = a.receiptAgeLimit
  if (a.holdForeignWallet !== undefined) gates.holdForeignWallet = a.holdForeignWallet
  if (a.balanceChain !== undefined) gates.balanceChain = a.balanceChain
  if (a.allowNoSenderId !== undefined) gates.allowNoSenderId = a.allowNoSenderId
  if (Object.keys(gates).length > 0) out.gates = gates
  if (a.deviceSilenceLimit !== undefined) out.deviceSilenceMinutes = a.deviceSilenceLimit
  if (a.forwarderSigningKey !== undefined) out.forwarderSigningKey = a.forwarderSigningKey === 'off' ? null : a.forwarderSigningKey
  return out
}

/** The store-settings flags as oclif parses them (see src/flags.ts storeSettings). */
export interface StoreFlagValues {
  name?: string
  callback?: string
  'callback-url'?: string
  'whmcs-url'?: string
  'whmcs-identifier'?: string
  'whmcs-secret'?: string
  rate?: string
  'currency-label'?: string
  'anti-spam'?: boolean
  'hold-over'?: string
  'hold-first-payment'?: boolean
  'hold-after-failed-checks'?: number
  'hold-duplicates'?: boolean
  'require-token'?: boolean
  'allow-ip'?: string[]
  'match-window'?: number
  mode?: string
  'forwarder-signing-key'?: string
  'pay-to'?: string[]
  'receipt-age-limit'?: number | null
  'hold-foreign-wallet'?: boolean
  'balance-chain'?: string
  'allow-no-sender-id'?: boolean
  'device-silence-limit'?: number
}

export function answersFromFlags(f: StoreFlagValues): StoreAnswers {
  return {
    name: f.name,
    callback: f.callback as StoreAnswers['callback'],
    callbackUrl: f['callback-url'],
    whmcsUrl: f['whmcs-url'],
    whmcsIdentifier: f['whmcs-identifier'],
    whmcsSecret: f['whmcs-secret'],
    rate: f.rate,
    currencyLabel: f['currency-label'],
    antiSpam: f['anti-spam'],
    holdOver: f['hold-over'],
    holdFirstPayment: f['hold-first-payment'],
    holdAfterFailedChecks: f['hold-after-failed-checks'],
    holdDuplicates: f['hold-duplicates'],
    requireToken: f['require-token'],
    allowIp: f['allow-ip'],
    matchWindow: f['match-window'],
    mode: f.mode as StoreAnswers['mode'],
    forwarderSigningKey: f['forwarder-signing-key'],
    payTo: f['pay-to'],
    receiptAgeLimit: f['receipt-age-limit'],
    holdForeignWallet: f['hold-foreign-wallet'],
    balanceChain: f['balance-chain'] as StoreAnswers['balanceChain'],
    allowNoSenderId: f['allow-no-sender-id'],
    deviceSilenceLimit: f['device-silence-limit'],
  }
}
