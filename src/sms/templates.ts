/**
 * Receive layouts as data. Operators change their wording without notice, so each layout is
 * one entry here: add an entry (and a fixture) when a new shape shows up in the
 * unrecognised_layout counter; the parser itself does not change.
 *
 * Every pattern runs on the prepared body (see prepareBody in parse.ts): ASCII digits, no
 * invisible marks or Arabic diacritics, each run of spaces collapsed to one space and each
 * line break run collapsed to a single "\n". Forwarders may flatten line breaks to spaces,
 * so no pattern may *need* a "\n"; a "\n" only ever serves as an extra field terminator.
 */
import type {Provider} from '../core/model.js'
import {BANK_TEMPLATES} from './bank-templates.js'
import {A, H, S, SEP, Y, money, moneyWithCurrency} from './fragments.js'
import type {SenderFamily} from './senders.js'
import type {ReceiveTemplate, TemplateField} from './types.js'

export type {ReceiveTemplate, TemplateField} from './types.js'

// ---- Fragments (regex source) --------------------------------------------------------

/** A phone or account id as printed; validated later with tryNormalisePhone. */
const PHONE = '(?<phone>\\+?\\d{6,20})'

/**
 * Where a payer's name ends. Names have no reliable delimiter: they end at the next known
 * phrase, or at a line break when the forwarder kept it. «على رقم محفظتك» must be the whole
 * phrase so that a name ending in «على» (the given name Ali) keeps it.
 */
export const NAME_END = `(?=${SEP}(?:على${S}رقم${S}محفظت|رصيد|بنجاح|بتاريخ|تاريخ|رقم${S}(?:ال)?(?:عملي|معامل|مرجع)|المرجع|مرجع|يوم${S}\\d|الساعة|عبر|استخدم|لمعرف${H}|للمزيد|للمساعد${H}|\\bon${S}\\d|\\bvia\\b|\\bto\\b|\\bRef\\b|\\bTransaction\\b|\\bAvailable\\b|\\bbalance\\b|e&|https?:|$)|${S}\\n)`

/** A name: one line, bounded, ended by NAME_END. */
const NAME = `(?<name>[^\\n]{1,80}?)${NAME_END}`

/** «المسجل بإسم» / «باسم», possibly glued to the name. */
const NAMED = `(?:المسجل${S})?ب${A}سم${S}`

// ---- Receive phrases ------------------------------------------------------------------

/** «تم استلام مبلغ» (Vodafone Cash, e& money). */
const ISTILAM = `تم${S}${A}ستلام${S}مبلغ(?:${S}وقدر${H})?`
/** «تم إيداع مبلغ» (e& money EA-R2). */
const IDAA = `تم${S}${A}${Y}داع${S}مبلغ(?:${S}وقدر${H})?`
/** Orange Cash: «تم إستلام عملية تحويل أموال بمبلغ». */
const ORANGE_IN = `تم${S}${A}ستلام${S}عملي${H}${S}تحويل${S}${A}موال${S}بمبلغ`
/** Bank InstaPay credit: «تم إضافة تحويل لحظي … بمبلغ», «لقد استقبلت تحويل لحظي على NNNN بمبلغ». */
const BANK_AR_IN = `(?:تم${S}${A}ضاف${H}|(?:لقد${S})?[اإ]ستقبلت|تم${S}${A}ستلام|تم${S}${A}${Y}داع)${S}(?:حوال${H}|تحويل)${S}لحظ${Y}[^\\n]{0,60}?بمبلغ`
/** English: "Received EGP3,050", "You have received 100 EGP", "credited with EGP 500". */
const EN_IN = `\\b(?:(?:you${S}have${S})?received|credited${S}with)`

/**
 * Every receive phrase with the amount right after it. Used to decide that a text looks like
 * a receipt and to spot two messages pasted into one body.
 */
export const RECEIVE_LEADS: readonly RegExp[] = [
  ...[ISTILAM, IDAA, ORANGE_IN, BANK_AR_IN].map((p) => new RegExp(`${p}${S}${money('amount')}`, 'gi')),
  new RegExp(`${EN_IN}${S}${moneyWithCurrency()}`, 'gi'),
]

/** A receive phrase alone (no amount): at the start of a text it still signals a receipt. */
export const RECEIVE_PHRASES: readonly RegExp[] = [ISTILAM, IDAA, ORANGE_IN, BANK_AR_IN, `${EN_IN}${S}(?:EGP|LE)`].map(
  (p) => new RegExp(p, 'i'),
)

/**
 * Other transactions' opening phrases. A receipt body that also holds one of these is two
 * messages pasted together, not a receipt with a strange tail.
 */
export const OTHER_MESSAGE_STARTS: readonly RegExp[] = [
  new RegExp(`تم${S}تحويل${S}(?:مبلغ${S})?\\d`),
  new RegExp(`تم${S}سحب${S}(?:مبلغ${S})?\\d`),
  new RegExp(`تم${S}طلب${S}سحب`),
  new RegExp(`تم${S}دفع${S}مبلغ${S}\\d`),
  /\bwere\s*successfully\s*transferred\b/i,
]

/**
 * Wording of messages that carry a receive-like phrase but are not a payment from someone:
 * the owner's own money (ATM, agent cash-in) or the operator's (cash-back, bonus, refund).
 * Only looked for near the receive phrase (HEAD_WINDOW), because promo tails of genuine
 * receipts talk about ATMs and cash-back too.
 */
export const OWN_MONEY_HINTS = new RegExp(
  `\\bATM\\b|ماكين${H}|صراف|وكيل|التاجر|\\bcash[\\s-]?in\\b|كاش${S}[اإ]ن\\b|فرع|\\bcash[\\s-]?back\\b|كاش${S}باك|\\bbonus\\b|مكاف[أا]|\\brefund|استرداد|استرجاع`,
  'i',
)

/** How many characters after a receive phrase OWN_MONEY_HINTS and family markers look at. */
export const HEAD_WINDOW = 140

// ---- Labelled fields found anywhere after the receive phrase ---------------------------

/** Balance after the transfer: «رصيدك الحالي: N», «رصيد محفظتك الحالى N ج.م», "Available Balance: N". */
export const BALANCE_RE = new RegExp(
  `(?:رصيد[^\\d\\n]{0,40}?|(?:available|current)${S}balance(?:${S}is)?|\\bbalance(?:${S}is)?)${S}[:：]?${S}${money('balance')}`,
  'i',
)

/**
 * Transaction reference: «رقم العملية: N», «رقم المعاملة N», «رقم مرجعي N», "Ref: N", "Transaction ID N".
 * Banks' 8-hex references are usually mixed but can be all letters, as they can be all digits.
 */
export const REFERENCE_RE = new RegExp(
  `(?:رقم${S}(?:ال)?عملي${H}|رقم${S}(?:ال)?معامل${H}|(?:ال)?رقم${S}(?:ال)?مرجع${Y}?|(?:ال)?مرجع|\\bRef(?:erence)?(?:${S}(?:No|number|#))?|\\bTransaction${S}(?:ID|No|number|Ref)|\\bTr?xn?${S}ID)${S}[:;#.\\-]?${S}(?<reference>[0-9A-Za-z]*\\d[0-9A-Za-z]*|[a-f]{8}(?![0-9A-Za-z]))`,
  'gi',
)

// ---- Templates ------------------------------------------------------------------------

const FROM_PHONE_OPT = `(?:${SEP}من${S}(?:رقم${S}(?:حساب${S})?)?${PHONE}?)?`

/** A generic fallback for a wallet family: receive phrase, amount, optional «من رقم PHONE». */
function genericArabic(id: string, family: SenderFamily, provider: Provider, require: readonly TemplateField[]): ReceiveTemplate {
  return {
    id,
    family,
    provider,
    pattern: new RegExp(`(?:${ISTILAM}|${IDAA})${S}${money('amount')}${FROM_PHONE_OPT}`, 'i'),
    require,
    looseName: true,
    forbid: OWN_MONEY_HINTS,
    example: 'تم استلام مبلغ N جنيه من رقم 01… … رقم العملية N',
  }
}

function genericEnglish(id: string, family: SenderFamily, provider: Provider, require: readonly TemplateField[]): ReceiveTemplate {
  return {
    id,
    family,
    provider,
    pattern: new RegExp(`${EN_IN}${S}${money('amount')}(?:${S}from${S}(?:${PHONE}\\b|(?<name>[^\\n]{1,60}?)${NAME_END}))?`, 'i'),
    require,
    forbid: OWN_MONEY_HINTS,
    example: 'You have received EGP 100.00 from 01…. Transaction ID: N',
  }
}

export const TEMPLATES: readonly ReceiveTemplate[] = [
  // ---- Vodafone Cash ----
  {
    id: 'VF-R5',
    family: 'vodafone',
    provider: 'instapay',
    pattern: new RegExp(`\\bReceived${S}${money('amount')}${S}from${S}${PHONE}${S}to${S}Mobile${S}Account${S}(?:Number|No\\.?)${S}\\d+`, 'i'),
    require: ['reference'],
    example: 'Apr 20, 2026 7:35:42 PM: Received EGP3,050 from 00201100000017 to Mobile Account Number 3054. Ref: 019326828533 Available Balance: 10602.66',
  },
  {
    id: 'VF-R2',
    family: 'vodafone',
    provider: 'vodafone_cash',
    pattern: new RegExp(
      `${ISTILAM}${S}${money('amount')}${S}من${S}${PHONE}?${S}[؛;،,]${SEP}${NAMED}${NAME}${SEP}على${S}رقم${S}محفظتك${S}\\+?\\d*${SEP}بتاريخ`,
      'i',
    ),
    require: ['reference'],
    example: 'تم استلام مبلغ 400.00 جنيه من 01…؛\\nالمسجل بإسم NAME\\nعلى رقم محفظتك 01… بتاريخ 20:32 26-08-02.\\nرصيدك الحالي: N جنيه\\nرقم العملية: N',
  },
  {
    id: 'VF-R1',
    family: 'vodafone',
    provider: 'vodafone_cash',
    pattern: new RegExp(`${ISTILAM}${S}${money('amount')}${S}من${S}رقم${S}${PHONE}${SEP}${NAMED}${NAME}${SEP}على${S}رقم${S}محفظتك`, 'i'),
    require: ['reference'],
    example: 'تم استلام مبلغ 3400 جنيه من رقم 01… المسجل بإسم NAME على رقم محفظتك 01….\\nرصيدك الحالي: N جنيه\\nتاريخ العملية: 22:04 26-04-13\\nرقم العملية: N',
  },
  {
    id: 'VF-R4',
    family: 'vodafone',
    provider: 'vodafone_cash',
    pattern: new RegExp(`${ISTILAM}${S}${money('amount')}${S}من${S}رقم${S}${PHONE}${S}[؛;،,]${S}${NAMED}${NAME}${S}\\.${S}رصيدك`, 'i'),
    require: ['reference'],
    example: 'تم استلام مبلغ 210.00 جنيه من رقم 01…؛ المسجل بإسم NAME. رصيدك الحالي N جنيه. تاريخ العملية \u200e14-08-25 11:18\u200e رقم العملية N.',
  },
  {
    id: 'VF-R3',
    family: 'vodafone',
    provider: 'vodafone_cash',
    pattern: new RegExp(`${ISTILAM}${S}${money('amount')}${S}من${S}رقم${S}${PHONE}${SEP}${NAMED}${NAME}${SEP}رصيدك`, 'i'),
    require: ['reference'],
    example: 'تم استلام مبلغ 488 جنيه من رقم  01… ؛ المسجل بإسم NAME رصيدك الحالي N تاريخ العملية 23:06 25-11-27 رقم العملية  N.promo',
  },
  genericEnglish('VF-EN', 'vodafone', 'vodafone_cash', ['reference']),
  genericArabic('VF-GEN', 'vodafone', 'vodafone_cash', ['reference']),

  // ---- e& money (no reference, no date: deduplicated by fingerprint) ----
  {
    id: 'EA-R1',
    family: 'etisalat',
    provider: 'etisalat_cash',
    pattern: new RegExp(`${ISTILAM}${S}${money('amount')}${S}من${S}رقم${S}${PHONE}${SEP}${NAMED}${NAME}`, 'i'),
    require: ['phone'],
    example: 'تم إستلام مبلغ 200.00 ج.م من رقم 01… المسجل باسمNAME بنجاح. رصيد محفظتك الحالى N ج.م.',
  },
  {
    id: 'EA-R2',
    family: 'etisalat',
    provider: 'etisalat_cash',
    pattern: new RegExp(
      `${IDAA}${S}${money('amount')}${S}(?:ف${Y}${S})?حسابك${S}(?:بنجاح${S})?من${S}رقم${S}(?:حساب${S})?${PHONE}(?:${SEP}${NAMED}${NAME})?`,
      'i',
    ),
    require: [],
    example: 'تم إيداع مبلغ 1.00  في حسابك بنجاح من رقم حساب 0020… المسجل باسم NAME',
  },
  genericEnglish('EA-EN', 'etisalat', 'etisalat_cash', ['phone']),
  genericArabic('EA-GEN', 'etisalat', 'etisalat_cash', ['phone']),

  // ---- Orange Cash: usually no payer phone; an Arabic name may have the phone glued with "-" ----
  {
    id: 'OR-R1',
    family: 'orange',
    provider: 'orange_cash',
    pattern: new RegExp(`${ORANGE_IN}${S}${money('amount')}${S}من${S}(?<who>[^\\n]{1,80}?)${NAME_END}`, 'i'),
    require: ['reference'],
    example: 'تم إستلام عملية تحويل أموال بمبلغ 150.00 جنيه من NAME، رصيدك الحالي N جنيه. رقم المعاملة 1908287136',
  },
  genericEnglish('OR-EN', 'orange', 'orange_cash', ['reference']),
  genericArabic('OR-GEN', 'orange', 'orange_cash', ['reference']),

  // ---- Banks: InstaPay credits into accounts and cards ----
  ...BANK_TEMPLATES,
]
