/**
 * What a trusted non-receipt says about the balance: a send, cash-out or bank debit, the
 * owner's own deposit, or a balance reply. The balance chain (previous balance + amount = new
 * balance) needs these to account for money that moved without being a payment; a receipt
 * whose balance does not follow from the last known one is suspect.
 *
 * Pure: runs on the prepared body (see prepareBody in parse.ts).
 */
import {tryParseMoney, type Piastres} from '../core/money.js'
import {accountGroup} from './bank-templates.js'
import {A, H, S, Y, money, moneyWithCurrency} from './fragments.js'
import type {SenderFamily} from './senders.js'
import type {Movement} from './types.js'

export interface MovementInfo {
  movement: Movement
  amount: Piastres | null
  balance: Piastres | null
  accountLast4: string | null
}

/** «تم» as a word («يتم خصم» is a fee notice, not a debit). */
const TAMMA = `(?<![\\u0621-\\u064A])تم${S}`

/**
 * Not a movement even when an amount is shown: one-time codes (they quote the amount about
 * to be paid), failed or refused attempts, requests awaiting confirmation, login alerts.
 */
const NOT_A_MOVEMENT = new RegExp(
  [
    `الرقم${S}السر${Y}`,
    `كلم${H}${S}(?:ال)?سر`,
    `رمز${S}(?:ال)?(?:تحقق|تفعيل|امان)`,
    '\\b(?:OTP|one[\\s-]?time|verification\\s*code|passcode|password)\\b',
    `لا${S}يوجد${S}رصيد`,
    `غير${S}كاف`,
    `لم${S}تتم`,
    '\\b(?:insufficient|failed|declined|rejected|unsuccessful)\\b',
    'فشل',
    `${TAMMA}طلب`,
    `تسجيل${S}(?:ال)?دخول`,
    '\\blog(?:ged)?[\\s-]?in\\b',
  ].join('|'),
  'i',
)

/** Money coming back: the owner's own failed transfer or purchase, given back. */
const REVERSAL = new RegExp(`\\b(?:reversed|refunded|reversal|refund)\\b|استرداد|مرتجع|${TAMMA}(?:${A}رجاع|رد)`, 'i')

/** Money going out, wallets and banks alike. */
const DEBIT = new RegExp(
  [
    `${TAMMA}(?:تحويل|سحب|دفع|شحن|خصم|شراء|سداد)`,
    'وخصم',
    `عملي${H}${S}تحويل${S}${A}موال${S}ناجح`,
    `من${S}(?:ال)?(?:حساب|بطاق)`,
    '\\bwere\\s*successfully\\s*transferred\\b',
    '\\bsuccessful(?:ly)?\\s*(?:transfer|payment|withdrawal|transaction|purchase)',
    '\\b(?:debited|sent|charged|deducted|withdrawn|purchase|outward)\\b',
    '\\bfrom\\s*your\\s*(?:account|acct|a/c|ac|card)\\b',
  ].join('|'),
  'i',
)

/** The owner's own money in: ATM or machine deposits, agent cash-ins, salary, card repayments. */
const CREDIT = new RegExp(
  [
    `${TAMMA}(?:${A}${Y}داع|${A}ضاف${H}|${A}ستلام)`,
    '\\bcash[\\s-]?in\\b',
    `كاش${S}(?:[اإ]ن|باك)`,
    '\\b(?:credited|deposited|deposit\\s*of|cash[\\s-]?back)\\b',
  ].join('|'),
  'i',
)

/** A balance reply: opens with the balance, or says what the balance is without a movement. */
const BALANCE_REPLY = new RegExp(`^(?:${A}ل)?رصيد|\\bbalance\\s*is\\b`, 'i')

/**
 * The balance *after* the movement: only the wordings that say "current", "available" or
 * "new". A bare «رصيد» can be the thing bought («تم شحن رصيد موبايلك ب 175»).
 */
const BALANCE_NOW = [
  new RegExp(`رصيد[^\\d\\n]{0,40}?(?:الحال${Y}|المتاح|الجديد|بعد${S}العملي${H})[^\\d\\n]{0,12}?${money('balance')}`, 'i'),
  new RegExp(`\\b(?:available|current|new)\\s+(?:[a-z&]+\\s+){0,3}?balance(?:\\s*is)?\\s*[:：]?\\s*${money('balance')}`, 'i'),
]

/** The movement's amount: right after its verb or «مبلغ», else the first amount with a currency. */
const AMOUNT_LABELLED = new RegExp(
  `(?:خصم|تحويل|سحب|دفع|${A}${Y}داع|${A}ضاف${H}|بمبلغ|مبلغ|\\bamount(?:\\s*of)?)${S}(?:مبلغ${S})?(?:وقدر${H}${S})?${money('amount')}`,
  'i',
)
const AMOUNT_WITH_CURRENCY = new RegExp(moneyWithCurrency('amount'), 'i')

/** A bank's account or card next to its word: «حسابكم رقم 0130», "card#1234", "AC ending with 123". */
const ACCOUNT_NEAR_WORD = new RegExp(`(?:حساب|بطاق|\\b(?:account|acct|a/c|ac|card)\\b)[^\\d\\n]{0,40}?${accountGroup('account')}`, 'i')

/** The last (up to) 4 digits of an account as printed: the digits after the mask, or before it. */
export function accountLast4(printed: string | undefined): string | null {
  if (printed === undefined) return null
  const runs = printed.match(/\d+/g)
  if (!runs) return null
  const run = /\d$/.test(printed) ? runs[runs.length - 1]! : runs[0]!
  return run.slice(-4)
}

function firstMoney(res: readonly RegExp[], text: string, group: string): Piastres | null {
  for (const re of res) {
    const v = re.exec(text)?.groups?.[group]
    if (v !== undefined) return tryParseMoney(v)
  }
  return null
}

function classify(text: string): Movement | null {
  if (NOT_A_MOVEMENT.test(text)) return null
  if (REVERSAL.test(text)) return 'credit'
  if (DEBIT.test(text)) return 'debit'
  if (CREDIT.test(text)) return 'credit'
  return BALANCE_REPLY.test(text) ? 'balance' : null
}

/**
 * The movement a non-receipt describes, or null when it describes none (promotions, codes,
 * failures) or shows neither an amount nor a balance.
 */
export function readMovement(text: string, family: SenderFamily): MovementInfo | null {
  const movement = classify(text)
  if (movement === null) return null
  const balance = firstMoney(BALANCE_NOW, text, 'balance')
  const amount = movement === 'balance' ? null : firstMoney([AMOUNT_LABELLED, AMOUNT_WITH_CURRENCY], text, 'amount')
  if (balance === null && (amount === null || amount === 0)) return null
  const account = family === 'bank' ? accountLast4(ACCOUNT_NEAR_WORD.exec(text)?.groups?.account) : null
  return {movement, amount: amount === 0 ? null : amount, balance, accountLast4: account}
}
