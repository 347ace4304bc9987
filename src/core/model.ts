/**
 * The records vcash keeps, named as a merchant would: a store, an SMS, a transaction
 * (a transfer into the store's wallet), a notification (a callback to the merchant).
 * Plain data only: these are what storage persists and the API serialises.
 */
import type {Piastres} from './money.js'

export const PROVIDERS = ['vodafone_cash', 'instapay', 'etisalat_cash', 'orange_cash'] as const
export type Provider = (typeof PROVIDERS)[number]

/** A wallet or account the store is paid into, shown on the checkout page and checked against receipts. */
export interface PayTo {
  provider: Provider
  /** A wallet's phone (01…), or for InstaPay an address (name@instapay) or the account's last digits. */
  wallet: string
}

export type CallbackConfig =
  | {kind: 'none'}
  | {kind: 'get'; url: string}
  | {kind: 'whmcs'; url: string; identifier: string; secret: string}
  | {kind: 'webhook'; url: string}

export interface AntiSpamRules {
  /** Hold transfers strictly above this amount (piastres); null = off. */
  amountOver: Piastres | null
  /** Hold a phone's first completed payment to this store. */
  firstPayment: boolean
  /** Hold when this many failed checks for the same phone preceded the match; null = off. */
  failedChecksBefore: number | null
  /** Hold when two PENDING transfers share phone and amount (someone may claim the other's). */
  duplicatePending: boolean
}

export interface StoreRecord {
  id: string
  name: string
  createdAt: string
  updatedAt: string
  /** sha256 hex of the store's API token (store-scoped API calls). */
  apiTokenHash: string
  /** sha256 hex of the device token (the wallet phone posting SMS). */
  deviceTokenHash: string
  /** Signing secret for callbacks/webhooks (`whsec_` + base64). Needed to sign, so kept. */
  signingSecret: string
  /**
   * After `vcash store rotate-secret`: the secret before, which still signs beside the new one
   * until `until` (epoch ms), so a merchant switches secrets without a delivery failing.
   */
  previousSigningSecret?: {secret: string; until: number} | null
  /**
   * The key a forwarder app (SMS Gateway for Android, httpSMS) signs its webhooks with, as
   * typed into that app. Needed to verify, so kept. Absent on stores made before it existed.
   */
  forwarderSigningKey?: string | null
  callback: CallbackConfig
  /** EGP per unit of the store's currency, exact decimal string ("1", "50.50"). */
  rate: string
  currencyLabel: string
  antiSpam: {enabled: boolean; rules: AntiSpamRules}
  /** When false, payment_link_check accepts calls without a token (the WHMCS module sends none). */
  requireToken: boolean
  /** IPs or CIDRs allowed to call payment_link_check; empty = anyone. */
  allowIps: string[]
  /** A PENDING transfer can be claimed for this long after the phone received it. */
  matchWindowMinutes: number
  /** development allows http://localhost callbacks; production only https to public addresses. */
  mode: 'development' | 'production'
  /** The store's receiving wallets and accounts (contract §6). Absent on stores made before it existed. */
  payTo?: PayTo[]
  version: number
}

export type TransactionStatus = 'PENDING' | 'COMPLETED' | 'AWAITING_APPROVAL' | 'REJECTED' | 'EXPIRED'

export interface AuditEntry {
  at: string
  /** who: 'sms', 'check', 'api', 'cli', 'system' (+ detail like an IP). */
  by: string
  from: TransactionStatus | null
  to: TransactionStatus
  why: string
}

export interface TransactionRecord {
  id: string
  storeId: string
  status: TransactionStatus
  provider: Provider
  amount: Piastres
  senderPhone: string | null
  senderName: string | null
  /** Bank credits: the payer's InstaPay address (name@instapay), when the SMS names it. */
  payerAddress?: string | null
  /** Bank credits: the last digits of the credited account or card. */
  accountLast4?: string | null
  reference: string | null
  balance: Piastres | null
  /** When the wallet says the transfer happened (parsed from the SMS; Cairo time, ISO). */
  occurredAt: string | null
  /** When the phone received the SMS (authoritative for the match window). */
  receivedAt: string
  createdAt: string
  updatedAt: string
  smsId: string
  userName: string | null
  clientId: string | null
  /** The caller's idempotency key (`order_id`): a repeat with the same key gets the same answer. */
  orderId?: string | null
  /**
   * When a check was answered `status: true` for this transfer (contract §3: at most once).
   * For WHMCS stores that happens only once WHMCS confirmed the credit.
   */
  confirmedAt?: string | null
  /** Anti-spam rules that held this transaction back. */
  heldBy: string[]
  /** The payment intent this transfer paid (or is held for), when it was claimed on a checkout page. */
  intentId?: string | null
  audit: AuditEntry[]
  version: number
}

export type SmsOutcome = 'receive' | 'ignored'

export interface SmsRecord {
  id: string
  storeId: string
  sender: string
  body: string
  receivedAt: string
  storedAt: string
  fingerprint: string
  outcome: SmsOutcome
  /** Why it was ignored (not_a_receipt, untrusted_sender, unrecognised_layout, …). */
  reason: string | null
  /** Where it came from: api, adb, smsgateway, httpsms, file. */
  source: string
  transactionId: string | null
  version: number
}

export type NotificationEvent =
  | 'transaction.received'
  | 'transaction.completed'
  | 'transaction.awaiting_approval'
  | 'transaction.rejected'
  | 'transaction.expired'
  | 'intent.paid'
  | 'intent.expired'

export interface DeliveryAttempt {
  at: string
  url: string
  status: number | null
  durationMs: number
  error: string | null
  responseExcerpt: string | null
  /** A replay (to the store's URL or another) rather than a scheduled delivery. */
  replay?: boolean
}

export interface NotificationRecord {
  /** Stable event id: the idempotency key (`msg_…`), sent as webhook-id. */
  id: string
  storeId: string
  /** The transfer it is about; for `intent.expired`, which has none, the intent's id. */
  transactionId: string
  /** Set on `intent.*` events. */
  intentId?: string | null
  event: NotificationEvent
  channel: CallbackConfig['kind']
  /** The event payload, fixed when queued so every retry sends the same content. */
  payload: Record<string, unknown>
  createdAt: string
  state: 'pending' | 'delivered' | 'failed'
  attempts: DeliveryAttempt[]
  nextAttemptAt: string | null
  lastError: string | null
  version: number
}

/**
 * WHMCS has no idempotency key: vcash writes this row (one per transaction, a unique key)
 * before it sends AddCredit, so a crash mid-request leaves `sending`, and the next attempt
 * asks WHMCS (GetCredits) before sending again.
 */
export interface CreditRecord {
  state?: 'sending' | 'confirmed'
  /** `${storeId}:${transactionId}` */
  id: string
  storeId: string
  transactionId: string
  clientId: string
  amount: string
  at: string
  whmcsResponse: string | null
  version: number
}

/** Contract §6: pending → paid | awaiting_approval → paid | rejected; pending → expired | cancelled. */
export type IntentStatus = 'pending' | 'awaiting_approval' | 'paid' | 'rejected' | 'expired' | 'cancelled'

export interface IntentAuditEntry {
  at: string
  by: string
  from: IntentStatus | null
  to: IntentStatus
  why: string
}

/** A payment the merchant expects (an order), paid on the checkout page by a transfer. */
export interface IntentRecord {
  /** `pi_…`, unguessable: the checkout page's URL is the only thing a customer holds. */
  id: string
  storeId: string
  /** The merchant's order: one intent per order (idempotent create). */
  orderId: string
  status: IntentStatus
  amount: Piastres
  expiresAt: string
  returnUrl: string | null
  metadata: Record<string, unknown> | null
  /** The phone the merchant expects to pay from (pre-fills the page), if given. */
  customerPhone: string | null
  /** What the payer entered on the page: the wallet phone they paid from, or a bank reference. */
  payer: {phone: string | null; reference: string | null; at: string} | null
  /** The transfer that paid it (unique: a transfer never pays two intents). */
  transactionId: string | null
  createdAt: string
  updatedAt: string
  audit: IntentAuditEntry[]
  version: number
}

/**
 * The operator's dashboard sign-in (src/app/sessions.ts). A `link` is the one-time token that
 * `vcash dashboard` prints; redeeming it revokes it and creates a `session`, whose token lives
 * in the browser's cookie. Only sha256 hashes of either token are kept.
 */
export interface SessionRecord {
  id: string
  kind: 'link' | 'session'
  tokenHash: string
  createdAt: string
  /** Never valid after this, however active (a link: minutes; a session: days). */
  expiresAt: string
  /** Last request made with it (a session also ends after a long enough idle time). */
  lastSeenAt: string
  revoked: boolean
  /** Who it is, for the audit trail: `cli:alice` on a link; the session inherits it. */
  label: string
}
