/** Shared by the SMS parser tests: a fixed "now" (dates with two-digit years depend on it). */
import {parseSms} from '../../src/sms/parse.js'
import type {ParsedReceipt, ParseResult} from '../../src/sms/types.js'

export const NOW = new Date('2026-11-23T12:00:00Z')

export function parse(sender: string, body: string): ParseResult {
  return parseSms({sender, body}, {now: NOW})
}

export function receipt(sender: string, body: string): ParsedReceipt {
  const r = parse(sender, body)
  if (r.kind !== 'receive') throw new Error(`expected a receipt, got ${JSON.stringify(r)}`)
  return r
}

export const toArabicIndic = (s: string): string => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)))
