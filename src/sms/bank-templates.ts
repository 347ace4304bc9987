/**
 * Bank credit layouts (InstaPay into an account or a card) as data, plus the wording that
 * tells a bank's credits from its debits, reversals and own-money deposits. See
 * docs "Bank credits" in sms-formats.md for the layouts themselves.
 *
 * Banks reuse the opening words of a credit for their outgoing transfers (CIB says «تم تنفيذ
 * تحويل لحظي» both ways), so every credit pattern is anchored on the words that name the
 * *receiving* account («إلى حسابك», «لحسابكم», "your account … was credited"), and the
 * parser also refuses a match when debit wording appears before its end (BANK_DEBIT_HINTS).
 *
 * Each layout is one entry; the BANK-IPN-* entries at the end are looser fallbacks for the
 * variants real traffic will bring (other words between the fields, other banks).
 */
import {A, H, S, SEP, Y, money, moneyWithCurrency} from './fragments.js'
import type {ReceiveTemplate, TemplateField} from './types.js'

// ---- Fragments -----------------------------------------------------------------------

/** How the money came: every bank credit except ADIB's says InstaPay, IPN or «لحظي». */
export const INSTAPAY_MARKER = /\b(?:instapay|IPN)\b|انستا\s*با[يى]|لحظ[يى]/i

/**
 * «تم» as a word: Arabic has no \b, and «يتم خصم» (no fee "is deducted") must not read as
 * «تم خصم».
 */
const TAMMA = `(?<![\\u0621-\\u064A])تم${S}`

/** A masking character as banks print them. */
const MASK = '[*xX•#]'

/**
 * The receiving account or card as printed: `********1234`, `1234********`, `xxx1234`,
 * `507803******1234`, `**1234`, a bare `0130` or the full number (ADIB). Never a date:
 * "2026-05-14" is not account 2026.
 */
export function accountGroup(name: string): string {
  return `(?<${name}>${MASK}{0,16}\\d{3,19}(?:${MASK}{2,16}\\d{0,4})?)(?!\\d|${MASK}|[-/.:]\\d)`
}

/** «حسابكم», «حسابك», «حساب», «بطاقتكم», «بطاقتك», «بطاقة». */
const ACCOUNT_WORD_AR = `(?:ال)?(?:حساب(?:كم|ك)?|بطاق(?:تكم|تك|${H}))`
/** Words between the account word and its digits: «رقم», «المنتهي بـ», «مسبقة الدفع». */
const ACCOUNT_DESC_AR = '[^\\d\\n*]{0,40}?'
/** «إلى», «الى», «الي», «ل» glued to the account word. */
const TO_AR = `(?:[اإأ]ل${Y}${S}|ل)`

/**
 * The receiving account in Arabic: «لحسابكم رقم 0130», «لبطاقتكم مسبقة الدفع», «الي بطاقة رقم
 * CARD», «إلى حسابك المنتهي بـ ********6286», «على  0540». Digits optional after an account
 * word (NBE prepaid cards print none). Two groups because one name may not appear twice.
 */
const INTO_AR = `(?:${TO_AR}${ACCOUNT_WORD_AR}${ACCOUNT_DESC_AR}${accountGroup('account')}?|عل${Y}${S}(?:${ACCOUNT_WORD_AR}${ACCOUNT_DESC_AR})?${accountGroup('account2')})`

/** «تحويل لحظي», «التحويل اللحظي», «حوالة لحظية». */
const INSTANT_AR = `(?:ال)?(?:تحويل|حوال${H})${S}(?:ال)?لحظ${Y}${H}?`
/** «عبر IPN», «عبر انستاباي», «من خلال InstaPay». */
const VIA_AR = `(?:عبر|من${S}خلال)${S}(?:IPN|InstaPay|انستا${S}با${Y}|شبك${H}${S}المدفوعات${S}اللحظي${H})`
/**
 * The opening of a credit: «تم إضافة», «لقد استقبلت», «تم استلام», «تم إيداع», or CIB's
 * «تم تنفيذ», which it uses both ways: that one only with the owner's account («حسابك»,
 * «بطاقتكم») ahead, since «إلى حساب رقم …» alone may be someone else's.
 */
const OPEN_AR = `(?:${TAMMA}(?:${A}ضاف${H}|${A}ستلام|${A}${Y}داع)|(?:لقد${S})?${A}ستقبلت|${TAMMA}تنفيذ(?=[^\\n]{0,80}?(?:حساب|بطاقت)(?:كم|ك)))`
/** «تم إضافة»: NBE and Banque Misr credits. */
const IDAFA = `${TAMMA}${A}ضاف${H}`
/** A few words a variant may add after «تحويل لحظي» («وارد», «عبر انستاباي»). */
const LOOSE_GAP = '[^\\d\\n]{0,25}?'
const AMOUNT_AR = `بمبلغ${S}(?:وقدر${H}${S})?${money('amount')}`

/**
 * Where a payer's name ends in a bank credit: at the reference, the date, the hotline line
 * or a line break. Latin words need a space before them, so a name ending in "…ON" or
 * "…REF" is not cut.
 */
const NAME_END = `(?=${S}(?:ب?رقم${S}(?:ال)?(?:مرجع|معامل|عملي)|(?:ال)?مرجع|يوم${S}\\d|بتاريخ|تاريخ|ف${Y}${S}\\d{1,4}[-/.]|الساع${H}|للمزيد|لمزيد|للمساعد${H}|\\d{1,4}[-/.]\\d{1,2}(?:[-/.]\\d{1,4})?${S}|[.,;،؛](?:\\s|$)|\\n|$)|\\s+(?:with${S}ref|ref(?:erence)?\\b|on${S}\\d|at${S}\\d|via\\b|dated\\b|for${S}more\\b))`
/** The payer: a name (cut by the bank, Latin or Arabic) or an InstaPay address. One line. */
const PAYER = `(?<name>[^\\n]{1,80}?)${NAME_END}`
const FROM_AR = `من${S}${PAYER}`
const FROM_EN = `\\bfrom${S}${PAYER}`

/** "your account ********1234", "Your HSBC Account ********6203", "card ending 1234". */
const ACCOUNT_EN = `\\b(?:account|acct|a/c|card)\\b${S}(?:no\\.?|number|ending${S}(?:in|with)?|#)?${S}:?${S}${accountGroup('account')}`

// ---- Debits, reversals and the owner's own money ----------------------------------------

/**
 * Wording of money going out. Banks reuse a credit's opening words for outgoing transfers;
 * «من حسابك», «من بطاقتكم», "debited", "sent", "charged" give the direction.
 */
export const BANK_DEBIT_HINTS = new RegExp(
  [
    `من${S}(?:ال)?(?:حساب|بطاق)`,
    `(?<![\\u0621-\\u064A])(?:خصم|سحب|شراء|سداد)`,
    '\\b(?:debited|sent|charged|deducted|withdrawn|withdrawal|purchase|outward|outgoing)\\b',
    '\\bfrom\\s*your\\s*(?:account|acct|a/c|ac|card)\\b',
    '\\bsuccessful\\s*transaction\\b',
  ].join('|'),
  'i',
)

/**
 * Credits that are the owner's own money or not a payment: a deposit machine («الة رقم»),
 * ATM or cash deposit, salary, a refund or reversal. Only guards the layouts that do not say
 * InstaPay (ADIB) and the loose fallbacks; the named layouts are InstaPay by their wording.
 */
export const BANK_OWN_MONEY_HINTS = new RegExp(
  [
    `${A}ل${H}${S}رقم`,
    `آل${H}`,
    'ماكين',
    'صراف',
    'نقد',
    '\\b(?:ATM|cash|salary|payroll|refund(?:ed)?|reversed|reversal|cheque|check\\s*deposit)\\b',
    '\\bdeposit\\s*(?:of|machine)\\b',
    'مرتب(?!ات)',
    'راتب',
    'استرداد',
    'مرتجع',
    'شيك',
  ].join('|'),
  'i',
)

/**
 * Where one bank message starts: a credit's or a debit's opening. Two of them in one body
 * is two messages pasted together.
 */
export const BANK_OPENINGS = new RegExp(
  [
    `${TAMMA}(?:${A}ضاف${H}|تنفيذ|تحويل|خصم|${A}${Y}داع|${A}ستلام|سحب|دفع|شراء|سداد)`,
    `${A}ستقبلت`,
    '\\b(?:credited|debited|reversed|charged|refunded|deducted|received)\\b',
    '\\bIPN\\s*transfer\\s*sent\\b',
    '\\bsuccessful\\s*transaction\\b',
    '\\b(?:deposit|purchase)\\s*of\\b',
  ].join('|'),
  'gi',
)

/** Words of money coming in, in a bank's voice («استقبلت», not the promotions' «استقبل»). */
const CREDIT_WORDING = new RegExp(`\\b(?:credited|received|inward)\\b|${A}ضاف${H}|${A}ستقبلت|${A}ستلام|${TO_AR}(?:حساب|بطاق)`, 'i')
const AMOUNT_HINT = new RegExp(`${moneyWithCurrency()}|(?:مبلغ|قيم${H}|\\bamount)${S}:?${S}\\d`, 'i')

/**
 * A credit in InstaPay wording with an amount, no debit or own-money wording: what a new
 * layout looks like when no template reads it (the parser reports it as unrecognised_layout
 * so that it gets counted and added).
 */
export function looksLikeBankCredit(text: string): boolean {
  const head = text.slice(0, 140)
  return CREDIT_WORDING.test(head) && INSTAPAY_MARKER.test(text) && AMOUNT_HINT.test(text) && !BANK_DEBIT_HINTS.test(head) && !BANK_OWN_MONEY_HINTS.test(text)
}

// ---- Templates -------------------------------------------------------------------------

interface BankLayout {
  id: string
  pattern: string
  require: readonly TemplateField[]
  example: string
  /** Default: the InstaPay wording. */
  mustContain?: RegExp
  forbid?: RegExp
}

function bank(layout: BankLayout): ReceiveTemplate {
  return {
    id: layout.id,
    family: 'bank',
    provider: 'instapay',
    pattern: new RegExp(layout.pattern, 'i'),
    require: layout.require,
    mustContain: layout.mustContain ?? INSTAPAY_MARKER,
    forbid: layout.forbid,
    forbidInHead: BANK_DEBIT_HINTS,
    dateOrder: 'dmy',
    example: layout.example,
  }
}

interface ArabicTransfer {
  open: string
  /** The receiving account phrase (INTO_AR or a narrower one). */
  into: string
  /** CIB names the account after the amount, everyone else before it. */
  intoAfterAmount: boolean
  /** Words allowed between «تحويل لحظي» and the next field (fallbacks only). */
  gap?: string
  payerOptional?: boolean
}

/** An Arabic transfer credit: opening, «تحويل لحظي», the account and the amount, «من» the payer. */
function arabicTransfer(t: ArabicTransfer): string {
  const head = `${t.open}${S}${INSTANT_AR}${t.gap ?? ''}${SEP}`
  const body = t.intoAfterAmount ? `${AMOUNT_AR}${SEP}${t.into}` : `${t.into}${SEP}${AMOUNT_AR}`
  return `${head}${body}(?:${SEP}${VIA_AR})?(?:${SEP}${FROM_AR})${t.payerOptional ? '?' : ''}`
}

/** English "your account NNNN was credited with … EGP N … from PAYER". */
function englishCredited(between: string): string {
  return `${ACCOUNT_EN}${S}(?:was|has${S}been|is)${S}credited${S}(?:with|by)?${between}${moneyWithCurrency('amount')}(?:[^\\n]{0,60}?${FROM_EN})?`
}

export const BANK_TEMPLATES: readonly ReceiveTemplate[] = [
  bank({
    id: 'NBE-R1',
    pattern: arabicTransfer({open: IDAFA, into: `ل${S}حساب(?:كم|ك)?${ACCOUNT_DESC_AR}${accountGroup('account')}`, intoAfterAmount: false}),
    require: ['reference', 'account'],
    example: 'تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ 100.00 جم من NAME رقم مرجعي 990470670167 يوم 04-14 الساعة 09:19 للمزيد اتصل بـ 19623',
  }),
  bank({
    id: 'BM-R1',
    pattern: arabicTransfer({open: IDAFA, into: `${TO_AR}بطاق${H}${S}(?:رقم${S})?${accountGroup('account')}`, intoAfterAmount: false}),
    require: ['reference', 'account'],
    example: 'تم إضافة تحويل لحظي الي بطاقة رقم 507803******1234 بمبلغ 500 من NAME رقم مرجعي 123456789012يوم 2026-07-05 الساعه 14:22 للمزيد اتصل علي 19888',
  }),
  bank({
    id: 'NBE-R2',
    pattern: arabicTransfer({open: IDAFA, into: `ل${S}بطاق(?:تكم|تك)[^\\d\\n]{0,40}?`, intoAfterAmount: false}),
    require: ['reference'],
    example: 'تم إضافة تحويل لحظي لبطاقتكم مسبقة الدفع بمبلغ 400.00 جم من NAME رقم مرجعي 500000000123 يوم 07-23 الساعة 19:43 للمزيد اتصل بـ 19623',
  }),
  bank({
    id: 'CIB-R1',
    pattern: arabicTransfer({open: `${TAMMA}تنفيذ`, into: `${TO_AR}حساب(?:ك|كم)${ACCOUNT_DESC_AR}${accountGroup('account')}`, intoAfterAmount: true}),
    require: ['reference', 'account'],
    example: 'يرجى العلم انه تم تنفيذ تحويل لحظي بمبلغ 5.00 جم إلى حسابك المنتهي بـ ********6286 من NAME برقم مرجعي 6b2d1e88 بتاريخ 30-04-2026 14:52 للمزيد، برجاء الاتصال بـ 19666',
  }),
  bank({
    id: 'MQ-R1',
    pattern: arabicTransfer({open: `(?:لقد${S})?${A}ستقبلت`, into: `عل${Y}${S}(?:${ACCOUNT_WORD_AR}${ACCOUNT_DESC_AR})?${accountGroup('account')}`, intoAfterAmount: false}),
    require: ['reference', 'account'],
    example: 'لقد استقبلت تحويل لحظي على  0540 بمبلغ 5,000.00 جم عبر IPN من NAME يوم  28-02-2026 الساعة  16:50 رقم المعاملة 9def186b للمساعدة www.mashreq.com/mashreqipn',
  }),
  bank({
    id: 'BM-R2',
    // The payer is optional: BM-R2 names none, but a variant that does should keep it.
    pattern: `${IDAFA}${S}مبلغ${S}${money('amount')}${SEP}${TO_AR}${ACCOUNT_WORD_AR}${ACCOUNT_DESC_AR}${accountGroup('account')}[\\s\\S]{0,80}?(?:عن${S}طريق${S}|من${S}خلال${S})?(?:${INSTANT_AR}|IPN|InstaPay|انستا${S}با${Y})(?:${SEP}${FROM_AR})?`,
    require: ['account'],
    example: 'تم اضافة مبلغ 500EGP الى حساب رقم xxx1234 فى 05-JUL-2026 عن طريق التحويل اللحظي',
  }),
  bank({
    id: 'ADIB-R1',
    pattern: `${IDAFA}${S}(?:مبلغ${S})?${money('amount')}${SEP}${TO_AR}${ACCOUNT_WORD_AR}${ACCOUNT_DESC_AR}${accountGroup('account')}`,
    require: ['account'],
    // ADIB does not say how the money came; its signature is what makes this layout safe.
    mustContain: /\bADIB\b|19951|[اأ]بو\s*ظب[يى]\s*الاسلام/i,
    forbid: BANK_OWN_MONEY_HINTS,
    example: 'عميلنا العزيز, نوجه عناية سيادتكم أنه تم إضافة 1,500.00 EGP الى حسابك رقم 100012345678 فى 05/07/2026 03:15:20 PM علما بأن رصيدكم الحالى 12,345.67 شكرا لاختيارك ADIB',
  }),
  bank({
    id: 'CIB-R2',
    pattern: englishCredited(`${S}IPN${S}inward${S}(?:transfer${S})?with${S}(?:an?${S})?amount${S}(?:of${S})?`),
    require: ['reference', 'account'],
    example: 'Kindly note your account ********1234 was credited with IPN Inward with amount EGP 1500.00 on 30-04-2026 at 14:52 from NAME with reference 6b2d1e88 For more information, please contact 19666.',
  }),
  bank({
    id: 'HSBC-R1',
    pattern: englishCredited(`${S}IPN${S}inward${S}transfer${S}(?:for|of)${S}`),
    require: ['reference', 'account'],
    example: 'Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 1,080.00 on 03-05-2026 17:06 from handle@instapay with reference 208ad9e4. For further details, please contact HSBC call centre',
  }),
  bank({
    id: 'QNB-R1',
    pattern: `\\b(?:IPN|InstaPay)${S}(?:transfer|payment)?${S}received${S}(?:with${S})?(?:an?${S})?(?:amount${S}(?:of${S})?)?${moneyWithCurrency('amount')}(?:${S}(?:on|to|in|into)${S}(?:your${S})?(?:(?:account|acct|a/c|card)${S}(?:no\\.?|number|ending${S}(?:in|with)?)?${S})?${accountGroup('account')})?(?:[^\\n]{0,60}?${FROM_EN})?`,
    require: ['reference'],
    example: 'IPN transfer received with amount of EGP 250.00 on 1234 on 14/05 at 10:22 AM. Ref# 1a2b3c4d. For more details call 19700',
  }),

  // ---- Looser fallbacks: any opening, a few extra words, the payer optional -------------
  bank({
    id: 'BANK-IPN-AR',
    pattern: arabicTransfer({open: OPEN_AR, into: INTO_AR, intoAfterAmount: false, gap: LOOSE_GAP, payerOptional: true}),
    require: ['reference'],
    forbid: BANK_OWN_MONEY_HINTS,
    example: 'لقد استقبلت تحويل لحظي على 0540 بمبلغ 5,000.00 جم عبر IPN من NAME يوم 28-02-2026 الساعة 16:50 رقم المعاملة 9def186b',
  }),
  bank({
    id: 'BANK-IPN-AR-AFTER',
    pattern: arabicTransfer({open: OPEN_AR, into: INTO_AR, intoAfterAmount: true, gap: LOOSE_GAP, payerOptional: true}),
    require: ['reference'],
    forbid: BANK_OWN_MONEY_HINTS,
    example: 'تم تنفيذ تحويل لحظي وارد بمبلغ 5.00 جم إلى حسابك رقم 1234 من NAME برقم مرجعي 6b2d1e88',
  }),
  bank({
    id: 'BANK-IPN-EN',
    pattern: englishCredited('[^\\d\\n]{0,60}?'),
    require: ['reference'],
    forbid: BANK_OWN_MONEY_HINTS,
    example: 'Your account **4521 was credited with EGP 275.50 via InstaPay from NAME on 08/10 21:14. Ref 556677123456',
  }),
  bank({
    id: 'BANK-IPN-EN-RECEIVED',
    pattern: `\\b(?:you${S}have${S})?received${S}(?:an?${S})?(?:(?:IPN|InstaPay)${S})?(?:transfer${S}|payment${S})?(?:of${S}|with${S}(?:an?${S})?amount${S}(?:of${S})?)?${moneyWithCurrency('amount')}(?:[^\\n]{0,60}?${FROM_EN})?`,
    require: ['reference'],
    forbid: BANK_OWN_MONEY_HINTS,
    example: 'You have received EGP 100.00 via InstaPay from NAME. Ref 123456789012',
  }),
  bank({
    id: 'BANK-IPN-EN-AMOUNT-FIRST',
    pattern: `${moneyWithCurrency('amount')}${S}(?:has${S}been|was|were|is)?${S}(?:credited|received|deposited|added)${S}(?:to|into|in)${S}your${S}(?:account|acct|a/c|card)${S}(?:no\\.?|number|ending${S}(?:in|with)?|#)?${S}:?${S}${accountGroup('account')}?(?:[^\\n]{0,60}?${FROM_EN})?`,
    require: ['reference'],
    forbid: BANK_OWN_MONEY_HINTS,
    example: 'EGP 100.00 has been credited to your account ending 1234 via IPN from NAME. Ref 1a2b3c4d',
  }),
]
