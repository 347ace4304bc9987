import {BugError, VcashError} from './errors.js'
import type {AuditEntry, TransactionRecord, TransactionStatus} from './model.js'

/** Contract §4: the only transitions there are. Nothing is deleted. */
const ALLOWED: Record<TransactionStatus, TransactionStatus[]> = {
  PENDING: ['COMPLETED', 'AWAITING_APPROVAL', 'EXPIRED'],
  AWAITING_APPROVAL: ['COMPLETED', 'REJECTED'],
  COMPLETED: [],
  REJECTED: [],
  EXPIRED: [],
}

export function canTransition(from: TransactionStatus, to: TransactionStatus): boolean {
  return ALLOWED[from].includes(to)
}

export interface TransitionInput {
  to: TransactionStatus
  by: string
  why: string
  at: Date
  patch?: Partial<Pick<TransactionRecord, 'userName' | 'clientId' | 'heldBy' | 'orderId' | 'confirmedAt' | 'intentId'>>
}

/**
 * The state a record returned by `transition` was changed from: storage writes the change as
 * `UPDATE … WHERE status = <this>`. Not enumerable, so a copy made later (`{...tx}`) is not a transition.
 */
export const PRIOR_STATUS = Symbol('vcash.priorStatus')

export function priorStatus(tx: TransactionRecord): TransactionStatus | undefined {
  return (tx as TransactionRecord & {[PRIOR_STATUS]?: TransactionStatus})[PRIOR_STATUS]
}

/** A new record (never mutates its input) with the change written to the audit trail. */
export function transition(tx: TransactionRecord, input: TransitionInput): TransactionRecord {
  if (!canTransition(tx.status, input.to)) {
    throw new VcashError('invalid_state', `transaction ${tx.id} is ${tx.status} and cannot become ${input.to}`, {
      http: 409,
      suggestion: tx.status === 'PENDING' ? 'Only transactions held by anti-spam (AWAITING_APPROVAL) can be approved or rejected.' : 'It has already been decided.',
    })
  }
  const at = input.at.toISOString()
  const entry: AuditEntry = {at, by: input.by, from: tx.status, to: input.to, why: input.why}
  const next: TransactionRecord = {...tx, ...input.patch, status: input.to, updatedAt: at, audit: [...tx.audit, entry]}
  Object.defineProperty(next, PRIOR_STATUS, {value: tx.status, enumerable: false})
  return next
}

export function assertStatus(tx: TransactionRecord, status: TransactionStatus): void {
  if (tx.status !== status) throw new BugError(`transaction ${tx.id} expected ${status}, is ${tx.status}`)
}
