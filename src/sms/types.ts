import type {Piastres} from '../core/money.js'
import type {Provider} from '../core/model.js'
import type {SenderFamily} from './senders.js'

export interface SmsInput {
  /** The SMS address: an operator sender id ("VF-Cash") or a phone number. */
  sender: string
  body: string
}

export interface ParsedReceipt {
  kind: 'receive'
  provider: Provider
  amount: Piastres
  /** Always null for bank credits: banks never show the payer's phone. */
  senderPhone: string | null
  senderName: string | null
  /**
   * The payer's InstaPay address (`handle@instapay`, lower case) when the bank names the payer
   * by address instead of by name (HSBC); null otherwise.
   */
  payerAddress: string | null
  /**
   * The last digits (4, or fewer when that is all the bank prints) of the store's own
   * receiving account or card; null for wallets and for credits that name no account.
   */
  accountLast4: string | null
  reference: string | null
  balance: Piastres | null
  /** Cairo local time from the SMS as ISO-8601 with offset, or null when the SMS has none. */
  occurredAt: string | null
  /** Which template matched (e.g. "VF-R2"): for metrics and debugging. */
  template: string
}

/**
 * Which way money moved in a message that is not a receipt: `debit` (a send, cash-out,
 * purchase, bank debit), `credit` (the owner's own money in: ATM or machine deposit, agent
 * cash-in, reversal, refund) or `balance` (a balance reply, no movement).
 */
export type Movement = 'debit' | 'credit' | 'balance'

export interface IgnoredSms {
  kind: 'ignored'
  /** Stable reason: untrusted_sender, not_a_receipt, unrecognised_layout, multiple_messages, empty. */
  reason: string
  provider: Provider | null
  /**
   * Set only on not_a_receipt from a trusted sender when the text is a money movement or a
   * balance reply: what the balance chain needs to account for money that was not a payment.
   */
  movement?: Movement
  /** The movement's amount (without fees) when readable. */
  amount?: Piastres | null
  /** The balance after the movement when the SMS shows it. */
  balance?: Piastres | null
  /** Bank messages: the last digits of the account or card that moved, when shown. */
  accountLast4?: string | null
}

export type ParseResult = ParsedReceipt | IgnoredSms

export type TemplateField = 'reference' | 'phone' | 'balance' | 'name' | 'account'

export interface ReceiveTemplate {
  /** Stable id, reported with every parse (metrics, debugging): "VF-R1". */
  id: string
  family: SenderFamily
  /** Provider reported for a receipt of this layout (VF-R5 arrives via InstaPay). */
  provider: Provider
  /**
   * Runs on the prepared body. Named groups: amount (required), phone, name, who (a name with
   * a phone glued to it), balance, reference, account and account2 (the receiving account or
   * card as printed, masked or not). A name of the form `handle@instapay` is read as the
   * payer's InstaPay address. Missing balance/reference are then looked up with BALANCE_RE /
   * REFERENCE_RE after the match start.
   */
  pattern: RegExp
  /** Fields that must be present (a valid phone, for 'phone') or the template does not apply. */
  require: readonly TemplateField[]
  /**
   * Order of a numeric date whose year has two digits. Unset: by position (time first means
   * YY-MM-DD, date first means DD-MM-YY), which is what Vodafone Cash does in every layout.
   */
  dateOrder?: 'ymd' | 'dmy'
  /** Also look for «بإسم NAME» anywhere after the amount (for the generic fallbacks). */
  looseName?: boolean
  /** Every match must also contain this (e.g. InstaPay wording for bank credits). */
  mustContain?: RegExp
  /** No match may contain this (generic fallbacks must not swallow ATM or agent cash-ins). */
  forbid?: RegExp
  /**
   * Nothing from the start of the body to the end of the match may contain this: banks open
   * outgoing transfers with a credit's words, and «من حسابك» or "debited" before the payer
   * is what shows the direction.
   */
  forbidInHead?: RegExp
  /** What the layout looks like, for whoever adds the next one. */
  example: string
}
