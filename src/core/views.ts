import type {AuditEntry, SmsRecord, TransactionRecord} from './model.js'
import {formatMoney} from './money.js'

/** The API's (snake_case, decimal-string) view of records. */
export interface TransactionView {
  id: string
  store_id: string
  status: TransactionRecord['status']
  provider: TransactionRecord['provider']
  amount: string
  sender_phone: string | null
  sender_name: string | null
  payer_address: string | null
  account_last4: string | null
  reference: string | null
  balance: string | null
  occurred_at: string | null
  received_at: string
  created_at: string
  updated_at: string
  user_name: string | null
  client_id: string | null
  held_by: string[]
  audit: AuditEntry[]
}

export function transactionView(t: TransactionRecord): TransactionView {
  return {
    id: t.id,
    store_id: t.storeId,
    status: t.status,
    provider: t.provider,
    amount: formatMoney(t.amount),
    sender_phone: t.senderPhone,
    sender_name: t.senderName,
    payer_address: t.payerAddress ?? null,
    account_last4: t.accountLast4 ?? null,
    reference: t.reference,
    balance: t.balance === null ? null : formatMoney(t.balance),
    occurred_at: t.occurredAt,
    received_at: t.receivedAt,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    user_name: t.userName,
    client_id: t.clientId,
    held_by: t.heldBy,
    audit: t.audit,
  }
}

export interface SmsView {
  id: string
  store_id: string
  sender: string
  received_at: string
  outcome: SmsRecord['outcome']
  reason: string | null
  transaction_id: string | null
  source: string
}

export function smsView(s: SmsRecord): SmsView {
  return {id: s.id, store_id: s.storeId, sender: s.sender, received_at: s.receivedAt, outcome: s.outcome, reason: s.reason, transaction_id: s.transactionId, source: s.source}
}
