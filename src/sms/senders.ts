/**
 * Which SMS addresses we believe. Only operator alphanumeric sender ids are trusted: a
 * "money received" text from an ordinary number is a known fraud (people type fake deposit
 * messages to the wallet phone), so anything phone-like or unknown is refused.
 */
import type {Provider} from '../core/model.js'
import {normaliseText} from '../core/text.js'

export type SenderFamily = 'vodafone' | 'etisalat' | 'orange' | 'bank'

/** The provider an ignored message is attributed to, per family (banks carry InstaPay credits). */
export const FAMILY_PROVIDER: Readonly<Record<SenderFamily, Provider>> = {
  vodafone: 'vodafone_cash',
  etisalat: 'etisalat_cash',
  orange: 'orange_cash',
  bank: 'instapay',
}

/**
 * Trusted sender ids as they are displayed. Matching goes through senderKey(), so case,
 * spaces, dashes, dots and underscores do not matter ("VF-Cash" = "vf cash" = "VFCash").
 * Add new ids here; nothing else needs to change.
 */
export const TRUSTED_SENDERS: ReadonlyArray<{id: string; family: SenderFamily}> = [
  {id: 'VF-Cash', family: 'vodafone'},
  {id: 'Vodafone Cash', family: 'vodafone'},
  {id: 'Vodafone', family: 'vodafone'},
  {id: 'فودافون كاش', family: 'vodafone'},
  {id: 'e& money', family: 'etisalat'},
  {id: 'eand money', family: 'etisalat'},
  {id: 'Etisalat', family: 'etisalat'},
  {id: 'Etisalat Cash', family: 'etisalat'},
  {id: 'اتصالات كاش', family: 'etisalat'},
  {id: 'Orange Cash', family: 'orange'},
  {id: 'Orange', family: 'orange'},
  {id: 'Orange Money', family: 'orange'},
  {id: 'اورنج كاش', family: 'orange'},
  // Egyptian Arabic writes the brand with چ as often as with ج.
  {id: 'اورنچ كاش', family: 'orange'},
  {id: 'BanK-AlAhly', family: 'bank'},
  {id: 'NBE', family: 'bank'},
  {id: 'CIB', family: 'bank'},
  {id: 'Mashreq-EGY', family: 'bank'},
  {id: 'Mashreq NEO', family: 'bank'},
  {id: 'QNB', family: 'bank'},
  {id: 'QNB ALAHLI', family: 'bank'},
  {id: 'Banque Misr', family: 'bank'},
  {id: 'BankMisr', family: 'bank'},
  {id: 'BM', family: 'bank'},
  {id: 'HSBC', family: 'bank'},
  {id: 'ADIB', family: 'bank'},
  {id: 'KFH-Egypt', family: 'bank'},
]

/**
 * Operator short codes that send money messages. A short code cannot be typed as the sender
 * of a person-to-person SMS (ordinary numbers are 11 digits or longer), so an exact match is
 * as good as an alphanumeric id; any other digit string stays untrusted.
 */
export const TRUSTED_SHORT_CODES: ReadonlyArray<{code: string; family: SenderFamily}> = [
  // NBE sends prepaid-card credits from its hotline number.
  {code: '19623', family: 'bank'},
]

/** Comparison key for a sender id: digits/marks normalised, lower case, separators dropped. */
export function senderKey(sender: string): string {
  return normaliseText(String(sender))
    .toLowerCase()
    .replace(/[\s\-_.·•|/\\'"()]+/g, '')
    .replace(/[إأآ]/g, 'ا')
    .replace(/ى/g, 'ي')
}

const TRUSTED = new Map<string, SenderFamily>(TRUSTED_SENDERS.map((s) => [senderKey(s.id), s.family]))

/**
 * A phone number or short code rather than an operator name: "+201000000001", "0100 000 0001",
 * "19888". Mostly digits means a person (or a fraudster) typed it, not the operator.
 */
export function isPhoneLikeSender(sender: string): boolean {
  const s = normaliseText(String(sender)).replace(/[\s\-.()+]/g, '')
  if (s === '') return false
  const digits = s.replace(/\D/g, '').length
  return digits / s.length >= 0.5
}

/** The family of a trusted sender, or null when the sender must not be believed. */
export function classifySender(sender: string): SenderFamily | null {
  const digits = normaliseText(String(sender)).trim()
  const shortCode = TRUSTED_SHORT_CODES.find((s) => s.code === digits)
  if (shortCode) return shortCode.family
  if (isPhoneLikeSender(sender)) return null
  return TRUSTED.get(senderKey(sender)) ?? null
}
