import type {NotificationRecord, SmsRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import {newSortableId} from '../core/secrets.js'
import {parseSms, smsFingerprint} from '../sms/parse.js'
import type {ParseResult} from '../sms/types.js'
import {ConflictError} from '../storage/storage.js'
import type {AppContext} from './context.js'

export interface IngestInput {
  sender: string
  body: string
  /** When the phone received it; defaults to now. */
  receivedAt?: string | null
  source: string
}

export interface IngestResult {
  outcome: 'created' | 'duplicate' | 'ignored'
  sms: SmsRecord
  transaction: TransactionRecord | null
  parse: ParseResult
}

/** An SMS in: parsed, stored once per fingerprint, a receipt becoming a PENDING transfer. */
export async function ingestSms(ctx: AppContext, store: StoreRecord, input: IngestInput): Promise<IngestResult> {
  const now = ctx.now()
  const parse = parseSms({sender: input.sender, body: input.body})
  const fingerprint = smsFingerprint(store.id, parse, input.sender, input.body)
  const dup = await ctx.storage.findSmsByFingerprint(store.id, fingerprint)
  if (dup) return duplicate(ctx, dup, parse)
  // Stored as a UTC instant: "…+02:00" and "…Z" of the same moment are the same moment.
  const receivedAt = input.receivedAt ? new Date(input.receivedAt).toISOString() : now.toISOString()
  const sms: SmsRecord = {
    id: newSortableId('sms', now.getTime()),
    storeId: store.id,
    sender: input.sender,
    body: input.body,
    receivedAt,
    storedAt: now.toISOString(),
    fingerprint,
    outcome: parse.kind,
    reason: parse.kind === 'ignored' ? parse.reason : null,
    source: input.source,
    transactionId: null,
    version: 0,
  }
  let tx: TransactionRecord | null = null
  const notifications: NotificationRecord[] = []
  if (parse.kind === 'receive') {
    const at = now.toISOString()
    tx = {
      id: newSortableId('tx', now.getTime()),
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
      audit: [{at, by: `sms:${input.source}`, from: null, to: 'PENDING', why: `${parse.template} receipt from ${input.sender}`}],
      version: 0,
    }
    sms.transactionId = tx.id
    const n = ctx.buildNotification(store, tx, 'transaction.received', now)
    if (n) notifications.push(n)
  }
  try {
    await ctx.storage.commit({sms: [sms], transactions: tx ? [tx] : [], notifications})
  } catch (error) {
    // The same SMS, sent twice at once (a forwarder's retry racing the first): the unique
    // key kept one; answer as for any duplicate.
    if (!(error instanceof ConflictError)) throw error
    const stored = await ctx.storage.findSmsByFingerprint(store.id, fingerprint)
    if (!stored) throw error
    return duplicate(ctx, stored, parse)
  }
  ctx.emit({type: 'sms', outcome: parse.kind === 'receive' ? 'receive' : parse.reason, provider: parse.provider, template: parse.kind === 'receive' ? parse.template : null})
  if (notifications.length > 0) ctx.emit({type: 'notification_queued', outcome: 'transaction.received'})
  return {outcome: tx ? 'created' : 'ignored', sms, transaction: tx, parse}
}

async function duplicate(ctx: AppContext, dup: SmsRecord, parse: ParseResult): Promise<IngestResult> {
  ctx.emit({type: 'sms', outcome: 'duplicate', provider: parse.provider})
  return {outcome: 'duplicate', sms: dup, transaction: dup.transactionId ? (await ctx.storage.getTransaction(dup.transactionId)) ?? null : null, parse}
}
