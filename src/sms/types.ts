import type {Piastres} from '../core/money.js'
import type {Provider} from '../core/model.js'

export interface SmsInput {
  /** The SMS address: an operator sender id ("VF-Cash") or a phone number. */
  sender: string
  body: string
}

export interface ParsedReceipt {
  kind: 'receive'
  provider: Provider
  amount: Piastres
  senderPhone: string | null
  senderName: string | null
  reference: string | null
  balance: Piastres | null
  /** Cairo local time from the SMS as ISO-8601 with offset, or null when the SMS has none. */
  occurredAt: string | null
  /** Which template matched (e.g. "VF-R2"): for metrics and debugging. */
  template: string
}

export interface IgnoredSms {
  kind: 'ignored'
  /** Stable reason: untrusted_sender, not_a_receipt, unrecognised_layout, multiple_messages, empty. */
  reason: string
  provider: Provider | null
}

export type ParseResult = ParsedReceipt | IgnoredSms
