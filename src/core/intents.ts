import {VcashError} from './errors.js'
import type {IntentRecord, IntentStatus, PayTo} from './model.js'
import {formatMoney} from './money.js'

/** Contract §6: the only changes an intent can make. */
const ALLOWED: Record<IntentStatus, IntentStatus[]> = {
  pending: ['paid', 'awaiting_approval', 'expired', 'cancelled'],
  awaiting_approval: ['paid', 'rejected'],
  paid: [],
  rejected: [],
  expired: [],
  cancelled: [],
}

export const INTENT_STATUSES = Object.keys(ALLOWED) as IntentStatus[]

/** States nothing moves out of: the page stops listening, the expiry sweep skips them. */
export function isFinal(s: IntentStatus): boolean {
  return ALLOWED[s].length === 0
}

/**
 * The state a record returned by `transitionIntent` was changed from: storage writes the change as
 * `UPDATE … WHERE status = <this>`, so of two racing changes (a claim and the expiry sweep) one wins.
 */
export const PRIOR_INTENT_STATUS = Symbol('vcash.priorIntentStatus')

export function priorIntentStatus(i: IntentRecord): IntentStatus | undefined {
  return (i as IntentRecord & {[PRIOR_INTENT_STATUS]?: IntentStatus})[PRIOR_INTENT_STATUS]
}

export function transitionIntent(i: IntentRecord, t: {to: IntentStatus; by: string; why: string; at: Date; patch?: Partial<Pick<IntentRecord, 'transactionId' | 'payer'>>}): IntentRecord {
  if (!ALLOWED[i.status].includes(t.to)) {
    throw new VcashError('invalid_state', `intent ${i.id} is ${i.status} and cannot become ${t.to}`, {http: 409, suggestion: 'Only a pending intent can be paid, expired or cancelled.'})
  }
  const at = t.at.toISOString()
  const next: IntentRecord = {...i, ...t.patch, status: t.to, updatedAt: at, audit: [...i.audit, {at, by: t.by, from: i.status, to: t.to, why: t.why}]}
  Object.defineProperty(next, PRIOR_INTENT_STATUS, {value: i.status, enumerable: false})
  return next
}

/** The API's view of an intent (contract §6). */
export interface IntentView {
  id: string
  status: IntentStatus
  amount: string
  order_id: string
  pay_to: PayTo[]
  checkout_url: string
  expires_at: string
  return_url: string | null
  metadata: Record<string, unknown> | null
  customer_phone: string | null
  payer_phone: string | null
  payer_reference: string | null
  transaction_id: string | null
  created_at: string
  updated_at: string
}

export function intentView(i: IntentRecord, payTo: PayTo[], baseUrl: string): IntentView {
  return {
    id: i.id,
    status: i.status,
    amount: formatMoney(i.amount),
    order_id: i.orderId,
    pay_to: payTo,
    checkout_url: `${baseUrl}/pay/${i.id}`,
    expires_at: i.expiresAt,
    return_url: i.returnUrl,
    metadata: i.metadata,
    customer_phone: i.customerPhone,
    payer_phone: i.payer?.phone ?? null,
    payer_reference: i.payer?.reference ?? null,
    transaction_id: i.transactionId,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  }
}
