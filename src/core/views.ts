import type {AuditEntry, ChainVerdict, DeviceRecord, GateHold, SmsRecord, TransactionRecord} from './model.js'
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
  /** The balance chain's verdict on the receipt (docs/gates.md). */
  verdict: ChainVerdict
  /** Gates that keep it from being claimed automatically, with why. */
  holds: GateHold[]
  /** The wallet or account the SMS says it was credited to, when it says. */
  receiving_account: string | null
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
    verdict: t.verdict ?? 'unknown',
    holds: t.holds ?? [],
    receiving_account: t.receivingAccount ?? null,
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

export interface DeviceView {
  id: string
  store_id: string
  name: string
  kind: DeviceRecord['kind']
  state: DeviceRecord['state']
  state_since: string
  last_contact_at: string
  /** Seconds since the last SMS or heartbeat, at `now`. */
  silent_for_seconds: number
  app_version: string | null
  phone: DeviceRecord['phone']
  created_at: string
}

export function deviceView(d: DeviceRecord, now: Date): DeviceView {
  return {
    id: d.id,
    store_id: d.storeId,
    name: d.name,
    kind: d.kind,
    state: d.state,
    state_since: d.stateSince,
    last_contact_at: d.lastContactAt,
    silent_for_seconds: Math.max(0, Math.floor((now.getTime() - Date.parse(d.lastContactAt)) / 1000)),
    app_version: d.appVersion ?? null,
    phone: d.phone ?? null,
    created_at: d.createdAt,
  }
}
