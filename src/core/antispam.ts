import type {AntiSpamRules, StoreRecord, TransactionRecord} from './model.js'

export const DEFAULT_ANTISPAM_RULES: AntiSpamRules = {
  amountOver: null,
  firstPayment: false,
  failedChecksBefore: null,
  duplicatePending: true,
}

/** What the service knows about a claim when it decides whether to hold it. */
export interface ClaimContext {
  tx: TransactionRecord
  /** Has this phone completed a payment to this store before? (Asked only when the rule is on.) */
  phoneHasPaidBefore: boolean | (() => boolean)
  /** Failed checks for this phone at this store shortly before this one. */
  recentFailedChecks: number
  /** Other PENDING transactions with the same phone and amount. */
  otherPendingSameClaim: number
}

/** Names of the rules a claim trips; empty means complete it. Pure. */
export function trippedRules(store: StoreRecord, ctx: ClaimContext): string[] {
  if (!store.antiSpam.enabled) return []
  const r = store.antiSpam.rules
  const out: string[] = []
  if (r.amountOver !== null && ctx.tx.amount > r.amountOver) out.push('amount_over')
  if (r.firstPayment) {
    const paid = typeof ctx.phoneHasPaidBefore === 'function' ? ctx.phoneHasPaidBefore() : ctx.phoneHasPaidBefore
    if (!paid) out.push('first_payment')
  }
  if (r.failedChecksBefore !== null && ctx.recentFailedChecks >= r.failedChecksBefore) out.push('failed_checks')
  if (r.duplicatePending && ctx.otherPendingSameClaim > 0) out.push('duplicate_pending')
  return out
}
