import type {IntentRecord, NotificationEvent, NotificationRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import type {Storage} from '../storage/storage.js'
import type {RecentContacts} from './recent-contacts.js'

export type BuildNotification = (store: StoreRecord, tx: TransactionRecord, event: NotificationEvent, now: Date) => NotificationRecord | null
export type BuildIntentNotification = (store: StoreRecord, intent: IntentRecord, tx: TransactionRecord | null, event: 'intent.paid' | 'intent.expired', now: Date) => NotificationRecord | null

/** What the front ends are told happened (metrics, `vcash listen`, logs). */
export interface ServiceEvent {
  type: 'sms' | 'check' | 'notification_queued'
  outcome: string
  provider?: string | null
  template?: string | null
}

/** What every use case works with: the ledger, the clock, and where notifications and events go. */
export interface AppContext {
  readonly storage: Storage
  now(): Date
  /** Puts the merchant's notification in the outbox, in the same commit as the change. */
  buildNotification: BuildNotification
  /** The same, for a payment intent's events (absent: intents notify nobody). */
  buildIntentNotification?: BuildIntentNotification
  emit(e: ServiceEvent): void
  /** Which devices' last contact this process wrote in the last second (absent: every SMS writes it). */
  readonly contacts?: RecentContacts
}

/** A conflicting concurrent commit is retried this many times before the error reaches the caller. */
export const MAX_RETRIES = 5
