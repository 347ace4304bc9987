import {chainHold, chainKey, chainVerdict, type ChainResult, ageHold, gatesOf, noSenderHold, receivingAccountOf, walletHold} from '../core/gates.js'
import type {AuditEntry, BalancePoint, DeviceContact, GateHold, NotificationRecord, SmsRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import {formatMoney, type Piastres} from '../core/money.js'
import {newSortableId} from '../core/secrets.js'
import {flattenBody, parseSms} from '../sms/parse.js'
import {classifySender, senderKey, TRUSTED_SENDERS} from '../sms/senders.js'
import type {ParseResult, ParsedReceipt} from '../sms/types.js'
import {ConflictError} from '../storage/storage.js'
import type {AppContext} from './context.js'
import {sameReceiveSecond, smsFingerprints} from './fingerprint.js'

export interface IngestInput {
  /** The SMS sender id; empty when the channel forwards the text only (iOS Shortcuts). */
  sender: string
  body: string
  /** When the phone received it; defaults to now. */
  receivedAt?: string | null
  source: string
  /** The device that brought it (contract §7): its last contact moves in the SMS's own commit. */
  device?: Pick<DeviceContact, 'name' | 'kind'> | null
}

export interface IngestResult {
  outcome: 'created' | 'duplicate' | 'ignored'
  sms: SmsRecord
  transaction: TransactionRecord | null
  parse: ParseResult
}

/** An SMS in: parsed, stored once per fingerprint, a receipt becoming a PENDING transfer, checked by the gates. */
export async function ingestSms(ctx: AppContext, store: StoreRecord, input: IngestInput): Promise<IngestResult> {
  const now = ctx.now()
  const gates = gatesOf(store)
  const noSender = input.sender.trim() === ''
  const read = readSms(input, gates.allowNoSenderId)
  let {parse, family} = read
  // Stored as a UTC instant: "…+02:00" and "…Z" of the same moment are the same moment.
  const deviceTime = input.receivedAt ? new Date(input.receivedAt).toISOString() : null
  const receivedAt = deviceTime ?? now.toISOString()
  const device = input.device && (ctx.contacts?.due(store.id, input.device.name, now.getTime()) ?? true) ? input.device : null
  const contacts: DeviceContact[] = device ? [{storeId: store.id, name: device.name, kind: device.kind, at: now.toISOString()}] : []
  const fp = smsFingerprints(store.id, parse, input.sender, input.body, deviceTime)
  const dup = await findDuplicate(ctx, store.id, fp, receivedAt)
  if (dup) return duplicate(ctx, {dup, parse, input, contacts, now})
  const sms: SmsRecord = {
    id: newSortableId('sms', now.getTime()),
    storeId: store.id,
    sender: input.sender,
    body: input.body,
    receivedAt,
    storedAt: now.toISOString(),
    fingerprint: fp.key,
    outcome: parse.kind,
    reason: parse.kind === 'ignored' ? parse.reason : null,
    source: input.source,
    transactionId: null,
    version: 0,
  }
  let tx: TransactionRecord | null = null
  const notifications: NotificationRecord[] = []
  const points: BalancePoint[] = []
  const point = (chain: string, balance: Piastres, source: BalancePoint['source'], transactionId: string | null): BalancePoint =>
    ({id: newSortableId('bal', Date.parse(receivedAt)), storeId: store.id, chain, at: receivedAt, balance, source, smsId: sms.id, transactionId, version: 0})
  if (read.others.length > 0 && parse.kind === 'receive' && gates.balanceChain !== 'off') {
    // A text-only receipt that several wallets' layouts read: the wallet whose chain it continues.
    const account = receivingAccountOf(parse, input.body)
    for (const r of [{parse, family: family ?? ''}, ...read.others]) {
      if (r.parse.balance === null) continue
      const prev = await ctx.storage.lastBalancePoint(store.id, chainKey(r.family, account, ''), new Date(receivedAt))
      if (chainVerdict(prev ?? null, r.parse).verdict === 'verified') {
        ;({parse, family} = r)
        break
      }
    }
  }
  if (parse.kind === 'receive') {
    const at = now.toISOString()
    const by = `sms:${input.source}`
    const account = receivingAccountOf(parse, input.body)
    const chain = family && parse.balance !== null && gates.balanceChain !== 'off' ? chainKey(family, account, senderKey(input.sender)) : null
    const verdict: ChainResult = chain
      ? chainVerdict((await ctx.storage.lastBalancePoint(store.id, chain, new Date(receivedAt))) ?? null, parse)
      : {verdict: 'unknown', expected: null, why: null}
    const holds = [
      ageHold(gates, {occurredAt: parse.occurredAt, receivedAt}, now),
      walletHold(gates, store.payTo, account),
      chainHold(gates, verdict),
      noSender ? noSenderHold(verdict.verdict) : null,
    ].filter((h): h is GateHold => h !== null)
    const txId = newSortableId('tx', now.getTime())
    const audit: AuditEntry[] = [{at, by, from: null, to: 'PENDING', why: `${parse.template} receipt from ${noSender ? 'a channel without a sender id' : input.sender}`}]
    // Every gate that holds explains itself; a chain verdict is noted whether or not it holds.
    if (verdict.why && verdict.verdict !== 'unknown' && !holds.some((h) => h.gate === 'balance_mismatch')) audit.push({at, by: 'gate', from: 'PENDING', to: 'PENDING', why: verdict.why})
    for (const h of holds) audit.push({at, by: 'gate', from: 'PENDING', to: 'PENDING', why: h.why})
    tx = {
      id: txId,
      storeId: store.id,
      status: 'PENDING',
      provider: parse.provider,
      amount: parse.amount,
      senderPhone: parse.senderPhone,
      senderName: parse.senderName,
      payerAddress: parse.payerAddress,
      accountLast4: parse.accountLast4,
      reference: parse.reference,
      balance: parse.balance,
      occurredAt: parse.occurredAt,
      receivedAt,
      createdAt: at,
      updatedAt: at,
      smsId: sms.id,
      userName: null,
      clientId: null,
      heldBy: [],
      holds,
      verdict: verdict.verdict,
      balanceChain: chain,
      receivingAccount: account,
      audit,
      version: 0,
    }
    // A suspicious balance never moves the chain (a fake must not make the next real receipt
    // look wrong), nor does an unverified text without a sender id (approving either does), nor an
    // old SMS re-sent today (its balance is history, not the wallet's balance now).
    const trusted = verdict.verdict !== 'suspicious' && !(noSender && verdict.verdict !== 'verified') && !holds.some((h) => h.gate === 'too_old')
    if (chain && parse.balance !== null && trusted) {
      points.push(point(chain, parse.balance, 'receipt', txId))
    }
    sms.transactionId = tx.id
    const n = ctx.buildNotification(store, tx, 'transaction.received', now)
    if (n) notifications.push(n)
  } else if (family && gates.balanceChain !== 'off') {
    // A send, cash-out or balance reply from the operator moves (or states) the balance too.
    const balance = movementBalance(parse)
    if (balance !== null) points.push(point(chainKey(family, movementAccount(parse), senderKey(input.sender)), balance, 'movement', null))
  }
  try {
    await ctx.storage.commit({sms: [sms], transactions: tx ? [tx] : [], notifications, balancePoints: points, deviceContacts: contacts})
    if (device) ctx.contacts?.wrote(store.id, device.name, now.getTime())
  } catch (error) {
    // The same SMS, sent twice at once (a forwarder's retry racing the first): the unique
    // key kept one; answer as for any duplicate.
    if (!(error instanceof ConflictError)) throw error
    const stored = await ctx.storage.findSmsByFingerprint(store.id, fp.key)
    if (!stored) throw error
    return duplicate(ctx, {dup: stored, parse, input, contacts, now})
  }
  ctx.emit({type: 'sms', outcome: parse.kind === 'receive' ? 'receive' : parse.reason, provider: parse.provider, template: parse.kind === 'receive' ? parse.template : null})
  if (notifications.length > 0) ctx.emit({type: 'notification_queued', outcome: 'transaction.received'})
  return {outcome: tx ? 'created' : 'ignored', sms, transaction: tx, parse}
}

/**
 * Parse with the sender id, or — for a channel that forwards the text only, when the store
 * allows it — as each trusted sender would have sent it. Every family's generic fallback reads
 * any «تم استلام مبلغ …», so the families whose own layout matches are the candidates (else those
 * whose fallback does), best first; the caller picks the one its balance chain verifies.
 */
function readSms(input: IngestInput, allowNoSender: boolean): {parse: ParseResult; family: string | null; others: Reading[]} {
  if (input.sender.trim() !== '') return {parse: parseSms({sender: input.sender, body: input.body}), family: classifySender(input.sender), others: []}
  if (!allowNoSender) return {parse: {kind: 'ignored', reason: 'no_sender_id', provider: null}, family: null, others: []}
  const byFamily = new Map<string, Reading>()
  for (const s of TRUSTED_SENDERS) {
    const p = parseSms({sender: s.id, body: input.body})
    if (p.kind === 'receive' && !byFamily.has(s.family)) byFamily.set(s.family, {parse: p, family: s.family})
  }
  const all = [...byFamily.values()]
  const own = all.filter((r) => !GENERIC_TEMPLATE.test(r.parse.template))
  const [first, ...others] = own.length > 0 ? own : all
  if (!first) return {parse: {kind: 'ignored', reason: 'not_a_receipt', provider: null}, family: null, others: []}
  return {...first, others}
}

interface Reading {
  parse: ParsedReceipt
  family: string
}

/** The parser's catch-all layouts (VF-GEN, EA-EN, …): they read any family's receipt wording. */
const GENERIC_TEMPLATE = /-(?:GEN|EN)$/

/** The balance a non-receipt shows, when the parser read one (debits and cash-outs; optional field). */
function movementBalance(parse: ParseResult): Piastres | null {
  const b = 'balance' in parse ? (parse as {balance?: unknown}).balance : undefined
  return typeof b === 'number' && Number.isSafeInteger(b) ? b : null
}

function movementAccount(parse: ParseResult): string | null {
  const a = 'accountLast4' in parse ? (parse as {accountLast4?: unknown}).accountLast4 : undefined
  return typeof a === 'string' && a !== '' ? a : null
}

async function findDuplicate(ctx: AppContext, storeId: string, fp: {key: string; legacy: string | null}, receivedAt: string): Promise<SmsRecord | undefined> {
  const dup = await ctx.storage.findSmsByFingerprint(storeId, fp.key)
  if (dup || !fp.legacy) return dup
  const old = await ctx.storage.findSmsByFingerprint(storeId, fp.legacy)
  return old && sameReceiveSecond(old.receivedAt, receivedAt) ? old : undefined
}

interface DuplicateInput {
  dup: SmsRecord
  parse: ParseResult
  input: IngestInput
  contacts: DeviceContact[]
  now: Date
}

async function duplicate(ctx: AppContext, d: DuplicateInput): Promise<IngestResult> {
  const {dup, parse, input, contacts, now} = d
  ctx.emit({type: 'sms', outcome: 'duplicate', provider: parse.provider})
  let tx = dup.transactionId ? (await ctx.storage.getTransaction(dup.transactionId)) ?? null : null
  const batch: Parameters<AppContext['storage']['commit']>[0] = {deviceContacts: contacts}
  // The same reference with another text is not a re-send: the first stands, and the trail says so.
  if (tx && parse.kind === 'receive' && parse.reference !== null && flattenBody(dup.body) !== flattenBody(input.body)) {
    const at = now.toISOString()
    tx = {...tx, audit: [...tx.audit, {at, by: `sms:${input.source}`, from: tx.status, to: tx.status, why: `duplicates: another SMS with the same reference ${parse.reference} but a different text arrived (${parse.template}, amount ${formatMoney(parse.amount)}); not stored, this receipt stands`}], updatedAt: at}
    batch.transactions = [tx]
  }
  if (contacts.length > 0 || batch.transactions) {
    try {
      await ctx.storage.commit(batch)
      for (const c of contacts) ctx.contacts?.wrote(c.storeId, c.name, Date.parse(c.at))
    } catch (error) {
      // A claim changed the transaction meanwhile: the note is lost, the answer is the same.
      if (!(error instanceof ConflictError)) throw error
    }
  }
  return {outcome: 'duplicate', sms: dup, transaction: tx, parse}
}
