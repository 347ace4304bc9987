/** Text normalisation shared by money, phone and SMS parsing. Pure functions. */

// Arabic-Indic (U+0660..U+0669) and Persian/Extended (U+06F0..U+06F9) digits.
const DIGIT_RE = /[\u0660-\u0669\u06F0-\u06F9]/g

/** Bidi and zero-width marks that phones and forwarders sprinkle into SMS bodies. */
export const INVISIBLE_RE = /[\u200B-\u200F\u061C\u202A-\u202E\u2066-\u2069\uFEFF\u00AD]/g

export function toAsciiDigits(s: string): string {
  return s.replace(DIGIT_RE, (d) => {
    const c = d.charCodeAt(0)
    return String(c >= 0x06f0 ? c - 0x06f0 : c - 0x0660)
  })
  // Arabic decimal separator and thousands separator.
    .replace(/\u066B/g, '.')
    .replace(/\u066C/g, ',')
}

export function stripInvisible(s: string): string {
  return s.replace(INVISIBLE_RE, '')
}

/** Digits to ASCII, invisible marks removed, NBSP to space. Keeps line breaks. */
export function normaliseText(s: string): string {
  // Every character it rewrites is outside ASCII; most API input is plain ASCII (hot path).
  // eslint-disable-next-line no-control-regex -- the whole ASCII range, NUL included
  if (!/[^\x00-\x7f]/.test(s)) return s
  return toAsciiDigits(stripInvisible(s)).replace(/[\u00A0\u2007\u202F]/g, ' ')
}
