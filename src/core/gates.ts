/**
 * Gates against fakes and replays: pure rules over what an SMS says and what the store knows.
 * Each returns a hold (a stable code and a sentence for the audit trail) or nothing; ingest
 * applies them when a receipt is stored and checks when it is claimed (docs/gates.md).
 */
import type {ChainVerdict, GateHold, GateSettings, PayTo, StoreRecord} from './model.js'
import {formatMoney, type Piastres} from './money.js'
import {tryNormalisePhone} from './phone.js'
import {normaliseText} from './text.js'

export const DEFAULT_GATES: GateSettings = {
  receiptAgeLimitMinutes: 48 * 60,
  holdForeignWallet: true,
  balanceChain: 'hold',
  allowNoSenderId: false,
}

export const DEFAULT_DEVICE_SILENCE_MINUTES = 30

export function gatesOf(store: Pick<StoreRecord, 'gates'>): GateSettings {
  return {...DEFAULT_GATES, ...store.gates}
}

export function deviceSilenceMinutes(store: Pick<StoreRecord, 'deviceSilenceMinutes'>): number {
  return store.deviceSilenceMinutes ?? DEFAULT_DEVICE_SILENCE_MINUTES
}

/** "90 min", "48 h", "7 d": how a person reads a span. */
export function span(ms: number): string {
  const min = Math.round(ms / 60_000)
  if (min < 120) return `${min} min`
  const h = Math.round(min / 60)
  return h < 72 ? `${h} h` : `${Math.round(h / 24)} d`
}

/**
 * The age gate: the SMS time (what the wallet says, else when the phone received it) against
 * the store's limit at ingest. A backfilled inbox or a re-imported export must not credit again.
 */
export function ageHold(settings: GateSettings, sms: {occurredAt: string | null; receivedAt: string}, now: Date): GateHold | null {
  if (settings.receiptAgeLimitMinutes === null) return null
  const at = Date.parse(sms.occurredAt ?? sms.receivedAt)
  if (Number.isNaN(at)) return null
  const age = now.getTime() - at
  if (age <= settings.receiptAgeLimitMinutes * 60_000) return null
  const which = sms.occurredAt ? 'the wallet dates it' : 'the phone received it'
  return {gate: 'too_old', why: `age gate: ${which} ${new Date(at).toISOString()}, ${span(age)} before it reached vcash (the store's limit is ${span(settings.receiptAgeLimitMinutes * 60_000)}): a backfill or a re-sent old SMS is never claimed automatically`}
}

/** Digits only, for comparing accounts however they were printed. */
function digits(s: string): string {
  return normaliseText(s).replace(/\D/g, '')
}

/** Does the receiving account an SMS names belong to one of the store's pay_to entries? */
export function isOwnAccount(payTo: readonly PayTo[], account: string): boolean {
  const phone = tryNormalisePhone(account)
  const acct = digits(account)
  return payTo.some((p) => {
    if (phone !== null) return tryNormalisePhone(p.wallet) === phone
    const own = digits(p.wallet)
    // Banks print the last 3 or 4 digits; a merchant may have typed more (or the whole number).
    if (own.length < 3 || acct.length < 3) return false
    return own.endsWith(acct) || acct.endsWith(own)
  })
}

/** Receiving wallets: a receipt credited to an account that is not one of the store's pay_to waits for the operator. */
export function walletHold(settings: GateSettings, payTo: readonly PayTo[] | undefined, account: string | null): GateHold | null {
  if (!settings.holdForeignWallet || !payTo || payTo.length === 0 || account === null) return null
  // Only entries of the same kind can say "not ours": a wallet phone against wallet phones, an
  // account's digits against account digits. A store that gave InstaPay only as an address
  // cannot be compared with the account digits a bank prints, so the gate cannot judge.
  const isPhone = tryNormalisePhone(account) !== null
  const comparable = payTo.filter((p) => (isPhone ? tryNormalisePhone(p.wallet) !== null : !p.wallet.includes('@') && tryNormalisePhone(p.wallet) === null))
  if (comparable.length === 0) return null
  if (isOwnAccount(comparable, account)) return null
  return {gate: 'foreign_wallet', why: `receiving wallets: the SMS says it was credited to ${account}, which is not one of the store's pay_to (${payTo.map((p) => p.wallet).join(', ')}); waits for the operator`}
}

/**
 * What a parse result says the money was credited to. Reads the optional fields a parser may
 * add (`accountLast4` for bank credits, `receivingWallet` for wallets) defensively, and else the
 * wallet's own «على رقم محفظتك 01…» phrase (Vodafone Cash VF-R1/R2), which names the merchant's wallet.
 */
export function receivingAccountOf(parse: object, body: string): string | null {
  for (const key of ['receivingWallet', 'accountLast4', 'account']) {
    const v = (parse as Record<string, unknown>)[key]
    if (typeof v === 'string' && v.trim() !== '') return tryNormalisePhone(v) ?? v.trim()
  }
  const m = /رقم\s*محفظت(?:ك|كم)\s*[:：]?\s*(\+?[0-9٠-٩۰-۹][0-9٠-٩۰-۹\s]{9,16})/.exec(normaliseText(body))
  return m ? tryNormalisePhone(m[1]!.replace(/\s+/g, '')) : null
}

/**
 * Which balance a receipt or movement belongs to. A phone holds one wallet per operator, so a
 * wallet's chain is its family (sends do not repeat the wallet's own number); a bank account's is
 * its last digits (or the sender id when the SMS names no account).
 */
export function chainKey(family: string, account: string | null, senderKey: string): string {
  if (family !== 'bank') return family
  return `bank:${account ? digits(account).slice(-4) : senderKey}`
}

export interface ChainResult {
  verdict: ChainVerdict
  /** The balance the chain expected, when it could say. */
  expected: Piastres | null
  why: string | null
}

/** The balance chain: previous known balance + this amount must equal the balance the receipt shows. */
export function chainVerdict(prev: {balance: Piastres; at: string} | null, receipt: {amount: Piastres; balance: Piastres | null}): ChainResult {
  if (receipt.balance === null) return {verdict: 'unknown', expected: null, why: null}
  if (prev === null) return {verdict: 'unknown', expected: null, why: 'balance chain: no earlier balance of this wallet is known yet; this one starts the chain'}
  const expected = prev.balance + receipt.amount
  if (expected === receipt.balance) {
    return {verdict: 'verified', expected, why: `balance chain: verified (${formatMoney(prev.balance)} known at ${prev.at} + ${formatMoney(receipt.amount)} = ${formatMoney(receipt.balance)})`}
  }
  return {verdict: 'suspicious', expected, why: `balance chain: suspicious — the SMS shows a balance of ${formatMoney(receipt.balance)}, but ${formatMoney(prev.balance)} known at ${prev.at} + ${formatMoney(receipt.amount)} = ${formatMoney(expected)}`}
}

/** The hold the chain's verdict causes under the store's setting. */
export function chainHold(settings: GateSettings, r: ChainResult): GateHold | null {
  if (settings.balanceChain !== 'hold' || r.verdict !== 'suspicious') return null
  return {gate: 'balance_mismatch', why: `${r.why ?? 'balance chain: suspicious'}; waits for the operator`}
}

/** A text forwarded without its sender id is held unless its balance chain verifies it. */
export function noSenderHold(verdict: ChainVerdict): GateHold | null {
  if (verdict === 'verified') return null
  return {gate: 'no_sender_id', why: 'no sender id: the SMS came without the operator\'s sender id (a text-only forwarder) and its balance chain did not verify it; waits for the operator'}
}
