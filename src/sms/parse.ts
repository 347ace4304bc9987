/**
 * Wallet SMS → ParseResult. Pure: no I/O, no clock unless a date is ambiguous (see readDate).
 *
 * Order of decisions (each one documented where it is made):
 *  1. empty body → empty
 *  2. sender not a trusted operator id → untrusted_sender (a phone number is a known fraud);
 *     a bank sender goes to parseBankSms, which has its own order (see there)
 *  3. no receive phrase with an amount right after it → not_a_receipt (or unrecognised_layout
 *     when a receive phrase opens the text without a readable amount)
 *  4. two receive phrases, or a receipt with another transaction's opening → multiple_messages
 *  5. the sender family's templates, in order; the first that yields every required field wins
 *  6. nothing extracted → unrecognised_layout (the server counts these), unless the text is the
 *     owner's own money (ATM, agent cash-in) → not_a_receipt
 * A not_a_receipt from a trusted sender carries the balance movement it shows (movement.ts).
 */
import {createHash} from 'node:crypto'

import type {Provider} from '../core/model.js'
import {tryParseMoney, type Piastres} from '../core/money.js'
import {tryNormalisePhone} from '../core/phone.js'
import {normaliseText} from '../core/text.js'
import {BANK_OPENINGS, looksLikeBankCredit} from './bank-templates.js'
import {accountLast4, readMovement} from './movement.js'
import {FAMILY_PROVIDER, classifySender, isPhoneLikeSender, senderKey, type SenderFamily} from './senders.js'
import {
  BALANCE_RE,
  HEAD_WINDOW,
  OTHER_MESSAGE_STARTS,
  OWN_MONEY_HINTS,
  RECEIVE_LEADS,
  RECEIVE_PHRASES,
  REFERENCE_RE,
  TEMPLATES,
  type ReceiveTemplate,
} from './templates.js'
import type {IgnoredSms, ParseResult, ParsedReceipt, SmsInput} from './types.js'

export interface ParseOptions {
  /** "Now" for choosing between two valid readings of an ambiguous date. Default: the clock. */
  now?: Date
}

/**
 * The text every template sees: ASCII digits, invisible marks gone, Arabic diacritics and
 * tatweel gone (they only decorate), each space run one space, each line-break run one "\n".
 */
export function prepareBody(body: string): string {
  return normaliseText(String(body))
    .replace(/[\u064B-\u065F\u0670\u0640]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim()
}

/** One line, single spaces: what two deliveries of the same SMS have in common. */
export function flattenBody(body: string): string {
  return prepareBody(body).replace(/\s+/g, ' ')
}

function ignored(reason: string, provider: Provider | null): IgnoredSms {
  return {kind: 'ignored', reason, provider}
}

/** not_a_receipt from a trusted sender, with the balance movement it shows (for the balance chain). */
function notAReceipt(text: string, family: SenderFamily): IgnoredSms {
  const result = ignored('not_a_receipt', FAMILY_PROVIDER[family])
  const m = readMovement(text, family)
  if (m === null) return result
  return family === 'bank' ? {...result, ...m} : {...result, movement: m.movement, amount: m.amount, balance: m.balance}
}

export function parseSms(input: SmsInput, options: ParseOptions = {}): ParseResult {
  const text = prepareBody(input.body ?? '')
  if (text === '') return ignored('empty', null)

  const family = classifySender(input.sender ?? '')
  if (family === null) return ignored('untrusted_sender', null)
  if (family === 'bank') return parseBankSms(text, options)
  const familyProvider = FAMILY_PROVIDER[family]

  const leads = leadPositions(text)
  if (leads.length === 0) {
    // A receive phrase opening the text with no amount we can read is a changed layout,
    // not a promotion that merely mentions receiving.
    const head = text.slice(0, 80)
    const opensLikeReceipt = RECEIVE_PHRASES.some((re) => re.test(head))
    if (opensLikeReceipt && !OWN_MONEY_HINTS.test(text.slice(0, HEAD_WINDOW))) return ignored('unrecognised_layout', familyProvider)
    return notAReceipt(text, family)
  }
  const leadAt = leads[0]!
  if (leads.length > 1 || looksLikeTwoMessages(text)) return ignored('multiple_messages', familyProvider)

  for (const template of TEMPLATES) {
    if (template.family !== family) continue
    const parsed = applyTemplate(template, text, options)
    if (parsed) return parsed
  }
  const ownMoney = OWN_MONEY_HINTS.test(text.slice(leadAt, leadAt + HEAD_WINDOW))
  return ownMoney ? notAReceipt(text, family) : ignored('unrecognised_layout', familyProvider)
}

/**
 * Bank messages. Banks announce InstaPay credits in the same frames as their debits, so there
 * is no receive phrase to lead with: each layout names the receiving account, and a match is
 * refused when debit wording comes before its end (forbidInHead). A credit-looking text with
 * InstaPay wording that no layout reads is unrecognised_layout, so a new wording gets counted.
 */
function parseBankSms(text: string, options: ParseOptions): ParseResult {
  if (countBankOpenings(text) > 1 || distinctReferences(text) > 1) return ignored('multiple_messages', 'instapay')
  for (const template of TEMPLATES) {
    if (template.family !== 'bank') continue
    const parsed = applyTemplate(template, text, options)
    if (parsed) return parsed
  }
  if (looksLikeBankCredit(text)) return ignored('unrecognised_layout', 'instapay')
  return notAReceipt(text, 'bank')
}

function countBankOpenings(text: string): number {
  BANK_OPENINGS.lastIndex = 0
  return [...text.matchAll(BANK_OPENINGS)].length
}

/** Start offsets of every receive phrase that has an amount right after it. */
function leadPositions(text: string): number[] {
  const starts = new Set<number>()
  for (const re of RECEIVE_LEADS) {
    re.lastIndex = 0
    for (const m of text.matchAll(re)) starts.add(m.index)
  }
  // Two phrases can match at one place ("received" in two families' wording): one lead.
  return [...starts].sort((a, b) => a - b)
}

/**
 * A single receive phrase plus another transaction's opening, or two different transaction
 * references: a paste of two messages. Never half-parse such a body.
 */
function looksLikeTwoMessages(text: string): boolean {
  return OTHER_MESSAGE_STARTS.some((re) => re.test(text)) || distinctReferences(text) > 1
}

function distinctReferences(text: string): number {
  const refs = new Set<string>()
  REFERENCE_RE.lastIndex = 0
  for (const m of text.matchAll(REFERENCE_RE)) {
    const r = m.groups?.reference
    if (r && r.length >= 6) refs.add(r)
  }
  return refs.size
}

const TRAILING_PUNCT = /^[\s.,;:؛،\-–—_'"()]+|[\s.,;:؛،\-–—_'"()]+$/g

/** Trimmed, single-spaced, no leading/trailing punctuation; null when nothing is left. */
export function cleanName(raw: string | undefined): string | null {
  if (raw === undefined) return null
  const s = raw.replace(/\s+/g, ' ').replace(TRAILING_PUNCT, '').trim()
  if (s === '' || !/[\p{L}]/u.test(s)) return null
  return s
}

const LOOSE_NAME_RE = /(?:المسجل\s*)?ب[اإأآ]سم\s*(?<name>[^\n]{1,80}?)(?=[\s.,;:؛،]*(?:على\s*رقم\s*محفظت|رصيد|بنجاح|بتاريخ|تاريخ|رقم\s*(?:ال)?(?:عملي|معامل|مرجع)|استخدم|https?:|$)|\s*\n)/

function firstMatchFrom(re: RegExp, text: string, from: number): RegExpExecArray | null {
  const flags = re.flags.includes('g') ? re.flags : `${re.flags}g`
  const g = new RegExp(re.source, flags)
  g.lastIndex = from
  return g.exec(text)
}

/**
 * A payer named by InstaPay address (HSBC): `handle@instapay`, or the same with the `@`
 * dropped (`handleinstapay`; one payer was seen both ways a minute apart). Lower case, with
 * the `@`, so both spellings compare equal.
 */
function instapayAddress(payer: string): string | null {
  const m = /^([a-z0-9][a-z0-9._-]*?)(?:\s*@\s*)?instapay(?:\.com)?$/i.exec(payer)
  return m ? `${m[1]!.toLowerCase()}@instapay` : null
}

function applyTemplate(template: ReceiveTemplate, text: string, options: ParseOptions): ParsedReceipt | null {
  const m = template.pattern.exec(text)
  if (!m || !m.groups) return null
  if (template.mustContain && !template.mustContain.test(text)) return null
  if (template.forbid?.test(text.slice(m.index, m.index + HEAD_WINDOW))) return null
  if (template.forbidInHead?.test(text.slice(0, m.index + m[0].length))) return null
  const g = m.groups
  const amount = g.amount === undefined ? null : tryParseMoney(g.amount)
  if (amount === null || amount <= 0) return null

  const afterAmount = m.index + m[0].indexOf(g.amount!)

  let senderPhone: string | null = null
  let senderName = cleanName(g.name)
  if (g.who !== undefined) {
    // Orange Cash glues the phone to an Arabic-script name with a hyphen: "NAME-01…" or "01…-NAME".
    const phoneInWho = /\+?\d{8,16}/.exec(g.who)
    if (phoneInWho) {
      senderPhone = tryNormalisePhone(phoneInWho[0])
      senderName = cleanName(g.who.replace(phoneInWho[0], ' ').replace(/\s*[-–—]\s*/g, ' '))
    } else {
      senderName = cleanName(g.who)
    }
  }
  if (g.phone !== undefined) senderPhone = tryNormalisePhone(g.phone)
  const payerAddress = senderName === null ? null : instapayAddress(senderName)
  if (payerAddress !== null) senderName = null
  if (senderName === null && template.looseName) {
    const n = firstMatchFrom(LOOSE_NAME_RE, text, afterAmount)
    senderName = cleanName(n?.groups?.name)
  }

  let balance: Piastres | null = null
  if (g.balance !== undefined) balance = tryParseMoney(g.balance)
  else {
    const b = firstMatchFrom(BALANCE_RE, text, afterAmount)
    if (b?.groups?.balance !== undefined) balance = tryParseMoney(b.groups.balance)
  }

  let reference: string | null = g.reference ?? null
  if (reference === null) {
    const r = firstMatchFrom(REFERENCE_RE, text, afterAmount)
    const v = r?.groups?.reference
    if (v !== undefined && v.length >= 6 && v.length <= 24) reference = v
  }

  const account = accountLast4(g.account ?? g.account2)

  for (const field of template.require) {
    if (field === 'reference' && reference === null) return null
    if (field === 'phone' && senderPhone === null) return null
    if (field === 'balance' && balance === null) return null
    if (field === 'name' && senderName === null && payerAddress === null) return null
    if (field === 'account' && account === null) return null
  }

  return {
    kind: 'receive',
    provider: template.provider,
    amount,
    senderPhone,
    senderName,
    payerAddress,
    accountLast4: account,
    reference,
    balance,
    occurredAt: findOccurredAt(text, template.dateOrder, options.now ?? new Date()),
    template: template.id,
  }
}

// ---- Dates ----------------------------------------------------------------------------

const MONTHS: Readonly<Record<string, number>> = {jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12}

const TIME = '(\\d{1,2}):(\\d{2})(?::(\\d{2}))?(?:\\s*([AaPp])\\.?[Mm]\\.?)?'
const DATE = '(\\d{1,4})[-/.](\\d{1,2})[-/.](\\d{1,4})'
const EN_DATE_RE = new RegExp(`\\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\\.?\\s*(\\d{1,2}),?\\s*(\\d{4}),?\\s*(?:at\\s*)?${TIME}`, 'i')
/** "20 Apr 2026 19:35", "20-Apr-26 7:35 PM": the day-first English form some banks use. */
const EN_DAY_FIRST_RE = new RegExp(`\\b(\\d{1,2})[\\s-]*(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\\.?[\\s-]*(\\d{4}|\\d{2}),?\\s*(?:at\\s*)?${TIME}`, 'i')
const TIME_FIRST_RE = new RegExp(`(?<![\\d.,:])${TIME}\\s*(?:[,،]\\s*)?${DATE}(?![\\d:])`)
const DATE_FIRST_RE = new RegExp(`(?<![\\d.,:])${DATE}\\s*(?:[,،]\\s*)?(?:الساع[ةه]|at)?\\s*${TIME}(?![\\d])`)

interface LocalTime {
  y: number
  mo: number
  d: number
  h: number
  mi: number
  s: number
}

function hour24(h: number, ampm: string | undefined): number {
  if (ampm === undefined) return h
  const pm = ampm.toLowerCase() === 'p'
  if (h === 12) return pm ? 12 : 0
  return pm ? h + 12 : h
}

function validLocal(t: LocalTime): boolean {
  if (t.y < 2000 || t.y > 2099 || t.mo < 1 || t.mo > 12 || t.d < 1 || t.h > 23 || t.mi > 59 || t.s > 59) return false
  const daysInMonth = new Date(Date.UTC(t.y, t.mo, 0)).getUTCDate()
  return t.d <= daysInMonth
}

function year(n: string): number {
  return n.length <= 2 ? 2000 + Number(n) : Number(n)
}

/**
 * Reads a numeric date. A 4-digit year settles the order. With a 2-digit year the layout's
 * order wins, else the position convention (time first → YY-MM-DD, date first → DD-MM-YY).
 * If that reading is not a valid date the other one is used. If both are valid and only the
 * other one is plausible — between three years before `now` and two days after it — the
 * other one is used; otherwise the convention stands, so old messages read the same forever.
 */
function readDate(a: string, b: string, c: string, order: 'ymd' | 'dmy', time: Omit<LocalTime, 'y' | 'mo' | 'd'>, now: Date): LocalTime | null {
  if (a.length === 4) {
    const t = {y: Number(a), mo: Number(b), d: Number(c), ...time}
    return validLocal(t) ? t : null
  }
  if (c.length === 4) {
    const t = {y: Number(c), mo: Number(b), d: Number(a), ...time}
    return validLocal(t) ? t : null
  }
  const ymd = {y: year(a), mo: Number(b), d: Number(c), ...time}
  const dmy = {y: year(c), mo: Number(b), d: Number(a), ...time}
  const [first, second] = order === 'ymd' ? [ymd, dmy] : [dmy, ymd]
  const firstOk = validLocal(first)
  const secondOk = validLocal(second)
  if (firstOk && secondOk) {
    const from = now.getTime() - 3 * 365 * 86_400_000
    const to = now.getTime() + 2 * 86_400_000
    const plausible = (t: LocalTime): boolean => {
      const ms = Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s) - 3 * 3_600_000
      return ms >= from && ms <= to
    }
    return !plausible(first) && plausible(second) ? second : first
  }
  if (firstOk) return first
  return secondOk ? second : null
}

/** The transaction's Cairo local time as ISO-8601 with its offset, or null when the SMS has none. */
export function findOccurredAt(text: string, order: 'ymd' | 'dmy' | undefined, now: Date): string | null {
  const candidates: {index: number; t: LocalTime | null}[] = []
  const en = EN_DATE_RE.exec(text)
  if (en) {
    const t = {
      y: Number(en[3]),
      mo: MONTHS[en[1]!.slice(0, 3).toLowerCase()] ?? 0,
      d: Number(en[2]),
      h: hour24(Number(en[4]), en[7]),
      mi: Number(en[5]),
      s: Number(en[6] ?? 0),
    }
    candidates.push({index: en.index, t: validLocal(t) ? t : null})
  }
  const ed = EN_DAY_FIRST_RE.exec(text)
  if (ed) {
    const t = {
      y: year(ed[3]!),
      mo: MONTHS[ed[2]!.slice(0, 3).toLowerCase()] ?? 0,
      d: Number(ed[1]),
      h: hour24(Number(ed[4]), ed[7]),
      mi: Number(ed[5]),
      s: Number(ed[6] ?? 0),
    }
    candidates.push({index: ed.index, t: validLocal(t) ? t : null})
  }
  const tf = TIME_FIRST_RE.exec(text)
  if (tf) {
    const time = {h: hour24(Number(tf[1]), tf[4]), mi: Number(tf[2]), s: Number(tf[3] ?? 0)}
    candidates.push({index: tf.index, t: readDate(tf[5]!, tf[6]!, tf[7]!, order ?? 'ymd', time, now)})
  }
  const df = DATE_FIRST_RE.exec(text)
  if (df) {
    const time = {h: hour24(Number(df[4]), df[7]), mi: Number(df[5]), s: Number(df[6] ?? 0)}
    candidates.push({index: df.index, t: readDate(df[1]!, df[2]!, df[3]!, order ?? 'dmy', time, now)})
  }
  candidates.sort((x, y) => x.index - y.index)
  const hit = candidates.find((c) => c.t !== null)
  return hit?.t ? cairoIso(hit.t) : null
}

const OFFSET_FMT = new Intl.DateTimeFormat('en-US', {timeZone: 'Africa/Cairo', timeZoneName: 'longOffset'})

const offsetByHour = new Map<number, number>()

/**
 * Africa/Cairo's UTC offset in minutes at an instant (Egypt has observed DST again since 2023).
 * Cairo changes offset only on whole UTC hours, so one answer per UTC hour is exact; formatToParts
 * costs microseconds and every receipt asks twice.
 */
function cairoOffsetMinutes(utcMs: number): number {
  const hour = Math.floor(utcMs / 3_600_000)
  let mins = offsetByHour.get(hour)
  if (mins === undefined) {
    if (offsetByHour.size >= 10_000) offsetByHour.clear()
    mins = cairoOffsetUncached(utcMs)
    offsetByHour.set(hour, mins)
  }
  return mins
}

function cairoOffsetUncached(utcMs: number): number {
  const name = OFFSET_FMT.formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT+02:00'
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name)
  if (!m) return 0
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0)
  return m[1] === '-' ? -mins : mins
}

/**
 * A Cairo wall-clock time as ISO-8601 with the offset in force then. In the spring-forward
 * gap the standard-time offset is used; in the repeated autumn hour, the first (summer) one.
 */
export function cairoIso(t: LocalTime): string {
  const wall = Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s)
  const before = cairoOffsetMinutes(wall - 3 * 3_600_000)
  const after = cairoOffsetMinutes(wall - before * 60_000)
  const offset = cairoOffsetMinutes(wall - after * 60_000) === after ? after : before
  const p2 = (n: number): string => String(n).padStart(2, '0')
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return `${t.y}-${p2(t.mo)}-${p2(t.d)}T${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}${sign}${p2(Math.trunc(abs / 60))}:${p2(abs % 60)}`
}

// ---- De-duplication -------------------------------------------------------------------

/**
 * sha256 hex identifying one SMS within a store, stable across forwarders: line breaks
 * flattened, invisible marks added, digits in another script, doubled spaces all give the
 * same value.
 * - a receipt with a reference: provider + reference (the operator's own id);
 * - a receipt without one (e& money): provider + amount + phone + balance + the flattened body
 *   (the balance makes two equal transfers from one payer distinct);
 * - an ignored message: the sender + the flattened body.
 */
export function smsFingerprint(storeId: string, parsed: ParseResult, sender: string, body: string): string {
  let key: readonly (string | number | null)[]
  if (parsed.kind === 'receive' && parsed.reference !== null) {
    key = ['receipt-ref', storeId, parsed.provider, parsed.reference]
  } else if (parsed.kind === 'receive') {
    key = ['receipt', storeId, parsed.provider, parsed.amount, parsed.senderPhone, parsed.balance, flattenBody(body)]
  } else {
    const who = isPhoneLikeSender(sender) ? (tryNormalisePhone(sender) ?? senderKey(sender)) : senderKey(sender)
    key = ['ignored', storeId, who, flattenBody(body)]
  }
  return createHash('sha256').update(JSON.stringify(key)).digest('hex')
}
