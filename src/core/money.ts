import {invalidInput} from './errors.js'
import {normaliseText} from './text.js'

/** Money is an integer number of piastres (1 EGP = 100 piastres). Never a float. */
export type Piastres = number

// With thousands commas the first group can't start with 0: "0,100" is a decimal comma, not 100.
const MONEY_RE = /^([1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/

/**
 * Parse a decimal money string ("100", "100.5", "100.50", "1,000", "١٠٠٫٥") into piastres.
 * Returns null for anything else ("abc", "-5", "1e3", "1.234", "").
 */
export function tryParseMoney(input: string): Piastres | null {
  const s = normaliseText(String(input)).trim()
  const m = MONEY_RE.exec(s)
  if (!m) return null
  const whole = m[1]!.replace(/,/g, '')
  const frac = (m[2] ?? '').padEnd(2, '0')
  if (whole.length > 13) return null // beyond any wallet's balance; keeps us inside safe integers
  const value = Number(whole) * 100 + Number(frac)
  return Number.isSafeInteger(value) ? value : null
}

export function parseMoney(input: string, field = 'amount'): Piastres {
  const v = tryParseMoney(input)
  if (v === null) {
    throw invalidInput(field, `"${String(input).slice(0, 40)}" is not an amount`, 'Use a positive decimal like 100, 100.5 or 1,000.50 (at most 2 decimals).')
  }
  return v
}

/** Piastres to a decimal string with exactly two places: 10050 -> "100.50". */
export function formatMoney(p: Piastres): string {
  if (!Number.isSafeInteger(p)) throw new TypeError(`not an integer amount of piastres: ${p}`)
  const neg = p < 0
  const abs = Math.abs(p)
  const s = `${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
  return neg ? `-${s}` : s
}

/**
 * A store's rate as an exact decimal (EGP per one unit of the store's currency), kept as
 * a scaled integer: "50.50" -> {units: 5050n, scale: 2}.
 */
export interface Rate {
  units: bigint
  scale: number
}

export function parseRate(input: string, field = 'rate'): Rate {
  const s = normaliseText(String(input)).trim()
  const m = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(s)
  if (!m) throw invalidInput(field, `"${s.slice(0, 40)}" is not a rate`, 'Use a positive decimal like 1, 50.5 or 48.25 (EGP per unit of your currency).')
  const frac = m[2] ?? ''
  const units = BigInt(m[1]! + frac)
  if (units === 0n) throw invalidInput(field, 'must be greater than zero', 'Use 1 when your store prices in EGP.')
  return {units, scale: frac.length}
}

export function formatRate(r: Rate): string {
  if (r.scale === 0) return r.units.toString()
  const s = r.units.toString().padStart(r.scale + 1, '0')
  const whole = s.slice(0, s.length - r.scale)
  const frac = s.slice(s.length - r.scale)
  // Keep at least two decimals, as the WHMCS module displays it ("50.50").
  const trimmed = frac.replace(/0+$/, '').padEnd(2, '0')
  return `${whole}.${trimmed}`
}

/**
 * EGP piastres divided by the rate, rounded half-up to 2 decimals, as a decimal string.
 * Exact: bigint arithmetic only.
 */
export function convertAmount(egp: Piastres, rate: Rate): string {
  // result (in cents of the target currency) = egp_piastres / (units / 10^scale)
  const num = BigInt(egp) * 10n ** BigInt(rate.scale)
  const q = num / rate.units
  const r = num % rate.units
  const cents = r * 2n >= rate.units ? q + 1n : q
  return formatMoney(Number(cents))
}
