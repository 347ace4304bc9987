/**
 * Regex fragments shared by the wallet and bank templates (regex source, not RegExp). They
 * run on the prepared body (see prepareBody in parse.ts): ASCII digits, no invisible marks
 * or Arabic diacritics, single spaces, single "\n" line breaks.
 */

/** Optional whitespace: real messages both double and drop spaces (`باسمNAME`, `449.0جنية`). */
export const S = '\\s*'
/** Alef with or without hamza/madda: «استلام/إستلام», «بإسم/باسم». */
export const A = '[اإأآ]'
/** Final ya / alef maqsura: «الحالي/الحالى», «في/فى». */
export const Y = '[يى]'
/** Ta marbuta / ha: «جنيه/جنية», «العملية/العمليه». */
export const H = '[هة]'
/** Separators between fields: spaces, line breaks and Arabic/Latin punctuation. */
export const SEP = '[\\s.,;:؛،]*'

/**
 * A money amount in one capture group: comma thousands or plain digits, 0–2 decimals. The
 * lookahead refuses a partial read of "1.234" or "1,00".
 */
export function amountGroup(name: string | null): string {
  return `(${name === null ? '?:' : `?<${name}>`}\\d{1,3}(?:,\\d{3})+(?:\\.\\d{1,2})?|\\d+(?:\\.\\d{1,2})?)(?!\\.?\\d|,\\d)`
}

/** Currency words after (or, for the Latin ones, before) an amount. */
export const CURRENCY = `(?:ج${S}\\.${S}م\\.?|جم(?![\\u0621-\\u064A])|جني${H}ا?(?:${S}مصر${Y})?|ج\\.?(?![\\u0621-\\u064A])|EGP|L\\.${S}E\\.?|LE(?![a-z])|pounds?)`

/** The Latin currency that may stand before an amount ("EGP 80", "EGP3,050", "L.E 5"). */
const CURRENCY_BEFORE = `(?:EGP|L\\.?${S}E\\.?)${S}`

/** An amount with its optional currency on either side. */
export function money(name: string): string {
  return `(?:${CURRENCY_BEFORE})?${amountGroup(name)}(?:${S}${CURRENCY})?`
}

/**
 * An amount with a currency on one side. English wording always names the currency, and
 * requiring it keeps "You have received 500 MB" from looking like a payment. The lookahead
 * checks for the currency so that the amount group appears once (a name may not repeat).
 */
export function moneyWithCurrency(name: string | null = null): string {
  const amount = `(?:${CURRENCY_BEFORE})?${amountGroup(name)}(?:${S}${CURRENCY})?`
  return `(?=${CURRENCY_BEFORE}|\\d[\\d,.]*${S}${CURRENCY})${amount}`
}
