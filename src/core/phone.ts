import {invalidInput} from './errors.js'
import {normaliseText} from './text.js'

/** Egyptian mobile numbers in national form: 010/011/012/015 + 8 digits. */
const NATIONAL_RE = /^01[0125]\d{8}$/

/**
 * Normalise a phone to `01XXXXXXXXX` from `+20…`, `0020…`, `20…`, `1…` (10 digits),
 * spaces, dashes, dots, parentheses and Arabic-Indic digits. Null when it isn't an
 * Egyptian mobile number.
 */
export function tryNormalisePhone(input: string): string | null {
  let s = normaliseText(String(input)).trim().replace(/[\s\-.()\u2010-\u2015]/g, '')
  if (s.startsWith('+')) s = s.slice(1)
  if (!/^\d+$/.test(s)) return null
  // "+20 010…" (country code plus the national leading 0) is common in what people type.
  if (s.startsWith('00200') && s.length === 15) s = s.slice(4)
  else if (s.startsWith('200') && s.length === 13) s = s.slice(2)
  else if (s.startsWith('0020')) s = '0' + s.slice(4)
  else if (s.startsWith('20') && s.length === 12) s = '0' + s.slice(2)
  else if (s.startsWith('1') && s.length === 10) s = '0' + s
  return NATIONAL_RE.test(s) ? s : null
}

export function normalisePhone(input: string, field = 'phone'): string {
  const p = tryNormalisePhone(input)
  if (p === null) {
    throw invalidInput(field, `"${String(input).slice(0, 30)}" is not an Egyptian mobile number`, 'Use the 11-digit wallet number, e.g. 01012345678 (+20 and 0020 prefixes are accepted).')
  }
  return p
}
