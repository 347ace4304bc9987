import crypto from 'node:crypto'

import {VcashError} from '../core/errors.js'
import type {Provider} from '../core/model.js'
import {formatMoney, type Piastres} from '../core/money.js'

/** A receipt SMS as the wallet phone would receive it. */
export interface RenderedSms {
  sender: string
  body: string
  /** The wallet reference in the SMS (phone-less layouts are claimed by it). */
  reference: string
  /** Which real layout it follows (sms-formats.md). */
  layout: string
  /** Whether the SMS carries the payer's phone (Orange Cash does not). */
  hasPhone: boolean
}

/** The receive layouts of sms-formats.md that we can render, with the wallet each belongs to. */
export const LAYOUTS = ['VF-R1', 'VF-R2', 'VF-R3', 'VF-R4', 'VF-R5', 'EA-R1', 'EA-R2', 'OR-R1'] as const
export type Layout = (typeof LAYOUTS)[number]

const LAYOUT_PROVIDER: Record<Layout, Provider> = {
  'VF-R1': 'vodafone_cash',
  'VF-R2': 'vodafone_cash',
  'VF-R3': 'vodafone_cash',
  'VF-R4': 'vodafone_cash',
  'VF-R5': 'instapay',
  'EA-R1': 'etisalat_cash',
  'EA-R2': 'etisalat_cash',
  'OR-R1': 'orange_cash',
}

const DEFAULT_LAYOUT: Record<Provider, Layout> = {vodafone_cash: 'VF-R1', instapay: 'VF-R5', etisalat_cash: 'EA-R1', orange_cash: 'OR-R1'}

/** Only InstaPay arrivals are announced in English; every other receipt exists in Arabic only. */
export function layoutLang(layout: Layout): 'ar' | 'en' {
  return layout === 'VF-R5' ? 'en' : 'ar'
}

export function defaultLang(provider: Provider): 'ar' | 'en' {
  return layoutLang(DEFAULT_LAYOUT[provider])
}

export interface RenderInput {
  provider: Provider
  phone: string
  amount: Piastres
  /** Defaults to the provider's only language; asking for one it never uses is an error. */
  lang?: 'ar' | 'en'
  /** A specific real layout (default: the provider's most common one). */
  layout?: Layout
  /** When the phone received it; the SMS shows it in Cairo time. */
  at?: Date
  name?: string
  reference?: string
  /**
   * The wallet's balance after the transfer. Default: a random one. null: leave the balance out:
   * a made-up balance contradicts the balance chain of a server that has seen the wallet
   * before, and the receipt would be held as suspicious.
   */
  balance?: Piastres | null
  /** The merchant's receiving wallet the SMS names (a store's pay_to); default: a random one. */
  wallet?: string
}

/** The wallet a store is paid into for this provider (its pay_to phone), for receipts that name one. */
export function ownWallet(payTo: readonly {provider: Provider; wallet: string}[] | undefined, provider: Provider): string | undefined {
  return payTo?.find((p) => p.provider === provider && /^01\d{9}$/.test(p.wallet))?.wallet ?? payTo?.find((p) => /^01\d{9}$/.test(p.wallet))?.wallet
}

const NAMES = ['Ahmed S Example', 'Mona A Test', 'Samy H Sample', 'Tamer H ALSAMPLE', 'Nour E Demo', 'SAMEH ABDU LLATIF SAMPLEE']
const VF_PROMO = 'تابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash'
const EA_PROMO = 'استخدم e& money هتكسب و العب هتكسب هدايا تانية كتير http://spr.ly/Spin_The_Wheel'

/** Amounts in SMS: no decimals when whole (as wallets print them), else 2. */
function plain(p: Piastres): string {
  return p % 100 === 0 ? String(p / 100) : formatMoney(p)
}

function commas(p: Piastres): string {
  const whole = Math.trunc(p / 100).toLocaleString('en-US')
  return p % 100 === 0 ? whole : `${whole}.${String(p % 100).padStart(2, '0')}`
}

function cairoParts(at: Date): Record<string, string> {
  const parts = new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false}).formatToParts(at)
  return Object.fromEntries(parts.map((p) => [p.type, p.value]))
}

function randomDigits(n: number): string {
  let s = ''
  while (s.length < n) s += crypto.randomInt(0, 10)
  return s
}

function pick<T>(xs: readonly T[]): T {
  return xs[crypto.randomInt(0, xs.length)]!
}

/**
 * Render a receipt in a real layout — one that both sms-formats.md and our parser agree on:
 * Vodafone Cash VF-R1..R4 (Arabic), VF-R5 (InstaPay into the wallet, English), e& money
 * EA-R1/EA-R2 (no reference: de-duplicated by fingerprint), Orange Cash OR-R1 (no payer phone:
 * claimed by reference).
 */
export function renderReceipt(input: RenderInput): RenderedSms {
  const layout = input.layout ?? DEFAULT_LAYOUT[input.provider]
  if (LAYOUT_PROVIDER[layout] !== input.provider) {
    throw new VcashError('unsupported_layout', `${layout} is a ${LAYOUT_PROVIDER[layout]} layout, not ${input.provider}`, {suggestion: `Use one of ${LAYOUTS.filter((l) => LAYOUT_PROVIDER[l] === input.provider).join(', ')}.`})
  }
  const lang = layoutLang(layout)
  if (input.lang && input.lang !== lang) {
    const why = input.provider === 'instapay' ? 'InstaPay arrivals in the wallet are announced in English only' : `${input.provider} receipts arrive in Arabic only`
    throw new VcashError('unsupported_layout', why, {suggestion: input.provider === 'vodafone_cash' ? 'Use --lang ar, or --provider instapay for the English layout.' : `Use --lang ${lang} (the default for ${input.provider}).`})
  }
  const at = input.at ?? new Date()
  const t = cairoParts(at)
  // A random middle initial: e& receipts carry no reference, so two runs must not render the same text.
  const name = input.name ?? pick(NAMES).replace(/ [A-Z] /, () => ` ${String.fromCharCode(65 + crypto.randomInt(26))} `)
  const balance = input.balance ?? input.amount + crypto.randomInt(0, 500_000)
  const shown = input.balance !== null
  // The balance phrase of each layout, or nothing.
  const bal = (text: string) => (shown ? text : '')
  const wallet = input.wallet ?? `010${randomDigits(8)}`
  const vfRef = input.reference ?? `0${randomDigits(11)}`
  const ymd = `${t.year}-${t.month}-${t.day}`
  const dmy = `${t.day}-${t.month}-${t.year}`
  const hm = `${t.hour}:${t.minute}`
  const sms = (sender: string, body: string, reference: string, hasPhone = true): RenderedSms => ({sender, body, reference, layout, hasPhone})
  switch (layout) {
    case 'VF-R1':
      return sms('VF-Cash', `تم استلام مبلغ ${plain(input.amount)} جنيه من رقم ${input.phone} المسجل بإسم ${name} على رقم محفظتك  ${wallet}.\n${bal(`رصيدك الحالي: ${formatMoney(balance)} جنيه\n`)}تاريخ العملية: ${hm} ${ymd}\nرقم العملية: ${vfRef}\n${VF_PROMO}\n`, vfRef)
    case 'VF-R2':
      return sms('VF-Cash', `تم استلام مبلغ ${formatMoney(input.amount)} جنيه من ${input.phone}؛\nالمسجل بإسم ${name}\nعلى رقم محفظتك ${wallet} بتاريخ ${hm} ${ymd}.\n${bal(`رصيدك الحالي: ${formatMoney(balance)} جنيه\n`)}رقم العملية: ${vfRef}\n تقدر ${VF_PROMO}`, vfRef)
    case 'VF-R3':
      return sms('VF-Cash', `تم استلام مبلغ ${plain(input.amount)} جنيه من رقم  ${input.phone} ؛ المسجل بإسم ${name} ${bal(`رصيدك الحالي ${formatMoney(balance)} `)}تاريخ العملية ${hm} ${ymd} رقم العملية  ${vfRef}.دلوقتي تقدر تسحب من محفظتك برسوم 5 جنيه بس بدل 1%! ${VF_PROMO}`, vfRef)
    case 'VF-R4':
      return sms('VF-Cash', `تم استلام مبلغ ${formatMoney(input.amount)} جنيه من رقم ${input.phone}؛ المسجل بإسم ${name}. ${bal(`رصيدك الحالي ${formatMoney(balance)} جنيه. `)}تاريخ العملية \u200E${dmy} ${hm}\u200E رقم العملية ${vfRef}.`, vfRef)
    case 'VF-R5': {
      // Built from parts: ICU's en-US pattern puts a comma after the year, the wallet does not.
      const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {timeZone: 'Africa/Cairo', month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: true}).formatToParts(at).map((x) => [x.type, x.value]))
      const stamp = `${p.month} ${p.day}, ${p.year} ${p.hour}:${p.minute}:${p.second} ${p.dayPeriod}`
      return sms('VF-Cash', `${stamp}: Received EGP${commas(input.amount)} from 002${input.phone} to Mobile Account Number ${randomDigits(4)}. Ref: ${vfRef}${bal(` Available Balance: ${formatMoney(balance)}`)}`, vfRef)
    }
    case 'EA-R1':
      return sms('e& money', `تم إستلام مبلغ ${formatMoney(input.amount)} ج.م من رقم ${input.phone} المسجل باسم${name.toUpperCase()}   بنجاح. ${bal(`رصيد محفظتك الحالى ${formatMoney(balance)} ج.م.`)}${EA_PROMO}`, '')
    case 'EA-R2':
      return sms('e& money', `تم إيداع مبلغ ${formatMoney(input.amount)}  في حسابك بنجاح من رقم حساب 002${input.phone} المسجل باسم ${name.toUpperCase()} \n ${EA_PROMO}`, '')
    case 'OR-R1': {
      const reference = input.reference ?? randomDigits(10)
      return sms('Orange Cash', `تم إستلام عملية تحويل أموال بمبلغ ${formatMoney(input.amount)} جنيه من ${name}، ${bal(`رصيدك الحالي ${formatMoney(balance)} جنيه. `)}رقم المعاملة ${reference}\n100 جنيه كاش باك لما تحول، تدفع او تودع فلوس في محفظة اورنچ كاش`, reference, false)
    }
  }
}

/** Which wallet a layout belongs to (a scenario may name the layout alone). */
export function layoutProvider(layout: Layout): Provider {
  return LAYOUT_PROVIDER[layout]
}
