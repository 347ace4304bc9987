import type {DeviceRecord, IntentRecord, NotificationEvent, NotificationRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import {convertAmount, formatMoney, parseRate} from '../core/money.js'
import {newSortableId} from '../core/secrets.js'
import {deviceView, transactionView} from '../core/views.js'

/**
 * Which events each channel hears. GET callbacks and WHMCS credit are about money the
 * merchant can act on: completion only. Webhooks get the whole lifecycle.
 */
export function channelWants(kind: StoreRecord['callback']['kind'], event: NotificationEvent): boolean {
  if (kind === 'none') return false
  if (kind === 'webhook') return true
  return event === 'transaction.completed'
}

export function whmcsDescription(txId: string): string {
  return `VodafoneCash payment - trans_id: ${txId}`
}

/**
 * The notification a change causes, built in the same step as the change so both are
 * committed together. The payload is fixed now: every retry and replay sends the same
 * content under the same id.
 */
export function buildNotification(store: StoreRecord, tx: TransactionRecord, event: NotificationEvent, now: Date): NotificationRecord | null {
  const kind = store.callback.kind
  if (!channelWants(kind, event)) return null
  const at = now.toISOString()
  let payload: Record<string, unknown>
  if (kind === 'get') {
    payload = {
      trans_id: tx.id,
      amount: formatMoney(tx.amount),
      converted_amount: convertAmount(tx.amount, parseRate(store.rate)),
      currency_label: store.currencyLabel,
      phone: tx.senderPhone ?? '',
      user_name: tx.userName ?? '',
      store_id: store.id,
      status: tx.status,
      provider: tx.provider,
      reference: tx.reference ?? '',
      verdict: tx.verdict ?? 'unknown',
      timestamp: String(Math.floor(now.getTime() / 1000)),
      // A transfer that paid a checkout page's intent says which order it paid: this callback is
      // a GET store's one notice of it (GET callbacks hear completions only, never intent.*).
      ...(tx.intentId ? {intent_id: tx.intentId, order_id: tx.orderId ?? ''} : {}),
    }
  } else if (kind === 'whmcs') {
    payload = {
      trans_id: tx.id,
      clientid: tx.clientId ?? tx.userName ?? '',
      amount: convertAmount(tx.amount, parseRate(store.rate)),
      description: whmcsDescription(tx.id),
    }
  } else {
    const {audit: _audit, ...data} = transactionView(tx)
    payload = {type: event, timestamp: at, data: {...data, converted_amount: convertAmount(tx.amount, parseRate(store.rate)), currency_label: store.currencyLabel}}
  }
  return queued({storeId: store.id, transactionId: tx.id, event, channel: kind, payload}, now)
}

/**
 * `intent.paid` / `intent.expired` (contract §6). Webhooks hear them (the whole lifecycle); a
 * GET callback learns of a paid intent from its transfer's `transaction.completed`, which then
 * carries `intent_id` and `order_id`, so a GET store is told about the money once.
 */
export function buildIntentNotification(store: StoreRecord, intent: IntentRecord, tx: TransactionRecord | null, event: 'intent.paid' | 'intent.expired', now: Date): NotificationRecord | null {
  if (store.callback.kind !== 'webhook') return null
  const at = now.toISOString()
  const data = {
    id: intent.id,
    store_id: store.id,
    status: intent.status,
    amount: formatMoney(intent.amount),
    order_id: intent.orderId,
    metadata: intent.metadata,
    expires_at: intent.expiresAt,
    transaction_id: intent.transactionId,
    payer_phone: tx?.senderPhone ?? intent.payer?.phone ?? null,
    reference: tx?.reference ?? null,
    provider: tx?.provider ?? null,
    created_at: intent.createdAt,
    updated_at: intent.updatedAt,
  }
  return queued({storeId: store.id, transactionId: tx?.id ?? intent.id, intentId: intent.id, event, channel: 'webhook', payload: {type: event, timestamp: at, data}}, now)
}

/**
 * `device.offline` / `device.online` (contract §7). Webhooks only: a GET callback or a WHMCS
 * credit means money to the merchant's site, and a device event must never look like one.
 * `transactionId` carries the device's id (the outbox's key for what an event is about).
 */
export function buildDeviceNotification(store: StoreRecord, device: DeviceRecord, event: 'device.offline' | 'device.online', now: Date, silenceMinutes: number): NotificationRecord | null {
  if (store.callback.kind !== 'webhook') return null
  const at = now.toISOString()
  return queued({storeId: store.id, transactionId: device.id, event, channel: 'webhook', payload: {type: event, timestamp: at, data: {...deviceView(device, now), silence_limit_minutes: silenceMinutes}}}, now)
}

/** A new outbox entry: due at once, no attempt yet; its id sorts by the service's clock. */
function queued(what: Pick<NotificationRecord, 'storeId' | 'transactionId' | 'intentId' | 'event' | 'channel' | 'payload'>, now: Date): NotificationRecord {
  const at = now.toISOString()
  return {id: newSortableId('msg', now.getTime()), ...what, createdAt: at, state: 'pending', attempts: [], nextAttemptAt: at, lastError: null, version: 0}
}
