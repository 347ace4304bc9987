import crypto from 'node:crypto'

import {VcashError} from '../errors.js'
import type {Provider} from '../model.js'
import {formatMoney, type Piastres} from '../money.js'

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

export interface RenderInput {
  provider: Provider
  phone: string
  amount: Piastres
  lang?: 'ar' | 'en'
  /** Cairo wall-clock time shown in the SMS. */
  at?: Date
  name?: string
  reference?: string
  balance?: Piastres
}

const NAMES = ['Ahmed S Example', 'Mona A Test', 'Samy H Sample', 'Tamer H ALSAMPLE', 'Nour E Demo']

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

/**
 * Render a receipt in the provider's real layout — one that both sms-formats.md and our parser
 * agree on: VF-R1 (Vodafone Cash, Arabic), VF-R5 (InstaPay into the wallet, English), EA-R1
 * (e& money), OR-R1 (Orange Cash; no payer phone, claimed by reference).
 */
export function renderReceipt(input: RenderInput): RenderedSms {
  const at = input.at ?? new Date()
  const t = cairoParts(at)
  const name = input.name ?? NAMES[crypto.randomInt(0, NAMES.length)]!
  const balance = input.balance ?? input.amount + crypto.randomInt(0, 500_000)
  switch (input.provider) {
    case 'vodafone_cash': {
      if (input.lang === 'en') throw new VcashError('unsupported_layout', 'Vodafone Cash wallet-to-wallet receipts arrive in Arabic only', {suggestion: 'Use --lang ar, or --provider instapay for the English layout.'})
      const reference = input.reference ?? `0${randomDigits(11)}`
      const body = `تم استلام مبلغ ${plain(input.amount)} جنيه من رقم ${input.phone} المسجل بإسم ${name} على رقم محفظتك  01000000002.\nرصيدك الحالي: ${formatMoney(balance)} جنيه\nتاريخ العملية: ${t.hour}:${t.minute} ${t.year}-${t.month}-${t.day}\nرقم العملية: ${reference}\nتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash\n`
      return {sender: 'VF-Cash', body, reference, layout: 'VF-R1', hasPhone: true}
    }
    case 'instapay': {
      if (input.lang === 'ar') throw new VcashError('unsupported_layout', 'InstaPay arrivals in the wallet are announced in English only', {suggestion: 'Use --lang en (the default for instapay).'})
      const reference = input.reference ?? `0${randomDigits(11)}`
      const stamp = new Intl.DateTimeFormat('en-US', {timeZone: 'Africa/Cairo', month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: true}).format(at).replace(/\u202F/g, ' ')
      const body = `${stamp}: Received EGP${commas(input.amount)} from 002${input.phone} to Mobile Account Number 3054. Ref: ${reference} Available Balance: ${formatMoney(balance)}`
      return {sender: 'VF-Cash', body, reference, layout: 'VF-R5', hasPhone: true}
    }
    case 'etisalat_cash': {
      // e& receipts carry no reference: vcash de-duplicates them by fingerprint.
      const body = `تم إستلام مبلغ ${formatMoney(input.amount)} ج.م من رقم ${input.phone} المسجل باسم${name.toUpperCase()}   بنجاح. رصيد محفظتك الحالى ${formatMoney(balance)} ج.م.استخدم e& money هتكسب و العب هتكسب هدايا تانية كتير http://spr.ly/Spin_The_Wheel`
      return {sender: 'e& money', body, reference: '', layout: 'EA-R1', hasPhone: true}
    }
    case 'orange_cash': {
      const reference = input.reference ?? randomDigits(10)
      const body = `تم إستلام عملية تحويل أموال بمبلغ ${formatMoney(input.amount)} جنيه من ${name}، رصيدك الحالي ${formatMoney(balance)} جنيه. رقم المعاملة ${reference}\n100 جنيه كاش باك لما تحول، تدفع او تودع فلوس في محفظة اورنچ كاش`
      return {sender: 'Orange Cash', body, reference, layout: 'OR-R1', hasPhone: false}
    }
  }
}
