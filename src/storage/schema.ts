/**
 * The ledger's schema, as Kysely types and migrations. The same tables serve SQLite (embedded)
 * and, later, PostgreSQL. Instants are integers (epoch milliseconds, UTC) so they compare as
 * instants; amounts are integer piastres. Each row also keeps the whole record as JSON (`data`):
 * the columns beside it exist for the keys, the indexes and the conditional updates.
 */
import {type Kysely, type Migration, sql} from 'kysely'

export interface StoresTable {
  id: string
  api_token_hash: string
  device_token_hash: string
  created_at: number
  version: number
  data: string
}

export interface SmsTable {
  id: string
  store_id: string
  fingerprint: string
  received_at: number
  stored_at: number
  transaction_id: string | null
  version: number
  data: string
}

export interface TransactionsTable {
  id: string
  store_id: string
  status: string
  sender_phone: string | null
  amount: number
  reference: string | null
  received_at: number
  created_at: number
  updated_at: number
  sms_id: string
  version: number
  data: string
}

export interface NotificationsTable {
  id: string
  store_id: string
  transaction_id: string
  state: string
  next_attempt_at: number | null
  created_at: number
  version: number
  data: string
  /** 0005_outbox_lease: until when (epoch ms) which instance holds it for delivery. */
  leased_until?: number | null
  leased_by?: string | null
}

export interface CreditsTable {
  id: string
  store_id: string
  transaction_id: string
  version: number
  data: string
}

export interface IntentsTable {
  id: string
  store_id: string
  order_id: string
  status: string
  amount: number
  expires_at: number
  transaction_id: string | null
  created_at: number
  version: number
  data: string
}

export interface SessionsTable {
  id: string
  kind: string
  token_hash: string
  created_at: number
  expires_at: number
  last_seen_at: number
  revoked: number
  label: string
}

export interface DevicesTable {
  id: string
  store_id: string
  name: string
  kind: string
  /** The newest SMS or heartbeat; upserted without a read (see SqliteStorage.apply). */
  last_contact_at: number
  state: string
  state_since: number
  /** The last heartbeat's JSON ({appVersion, phone}); kept when an SMS touches the device. */
  contact: string | null
  version: number
  data: string
}

export interface BalancePointsTable {
  id: string
  store_id: string
  chain: string
  at: number
  balance: number
  version: number
  data: string
}

/** Failed checks per key and time bucket, shared by the instances on one PostgreSQL (src/storage/rate-windows.ts). */
export interface RateWindowsTable {
  key: string
  bucket_start: number
  hits: number
  /** When this bucket leaves its window: rows past it are pruned. */
  expires_at: number
}

export interface Database {
  sessions: SessionsTable
  stores: StoresTable
  sms: SmsTable
  transactions: TransactionsTable
  notifications: NotificationsTable
  credits: CreditsTable
  intents: IntentsTable
  devices: DevicesTable
  balance_points: BalancePointsTable
  rate_windows: RateWindowsTable
}

/** Migrations in order. A database holding a name not listed here was made by a newer vcash. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_ledger': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema before it, not Database
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('stores')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('api_token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('device_token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createTable('sms')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('stored_at', 'bigint', (c) => c.notNull())
        .addColumn('transaction_id', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        // One SMS is stored once per store, however often the phone or a forwarder resends it.
        .addUniqueConstraint('sms_store_fingerprint', ['store_id', 'fingerprint'])
        .execute()
      await db.schema.createTable('transactions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('PENDING','COMPLETED','AWAITING_APPROVAL','REJECTED','EXPIRED')`))
        .addColumn('sender_phone', 'text')
        .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
        .addColumn('reference', 'text')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        // One transfer per SMS: a resent or re-imported SMS never becomes a second transaction.
        .addColumn('sms_id', 'text', (c) => c.notNull().unique())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('transactions_claim').on('transactions').columns(['store_id', 'sender_phone', 'amount', 'received_at']).execute()
      await db.schema.createIndex('transactions_reference').on('transactions').columns(['store_id', 'reference']).where(sql.ref('reference'), 'is not', null).execute()
      await db.schema.createIndex('transactions_pending').on('transactions').columns(['received_at']).where(sql.ref('status'), '=', 'PENDING').execute()
      await db.schema.createIndex('transactions_paid').on('transactions').columns(['store_id', 'sender_phone']).where(sql.ref('status'), '=', 'COMPLETED').execute()
      await db.schema.createIndex('transactions_store_created').on('transactions').columns(['store_id', 'created_at', 'id']).execute()
      await db.schema.createIndex('transactions_created').on('transactions').columns(['created_at', 'id']).execute()
      await db.schema.createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending','delivered','failed')`))
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('notifications_due').on('notifications').columns(['next_attempt_at']).where(sql.ref('state'), '=', 'pending').execute()
      await db.schema.createIndex('notifications_store_created').on('notifications').columns(['store_id', 'created_at']).execute()
      await db.schema.createIndex('notifications_created').on('notifications').columns(['created_at']).execute()
      await db.schema.createIndex('notifications_transaction').on('notifications').columns(['transaction_id']).execute()
      await db.schema.createTable('credits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        // WHMCS has no idempotency key: one credit-ledger row per transaction, ever.
        .addUniqueConstraint('credits_store_transaction', ['store_id', 'transaction_id'])
        .execute()
    },
  },
  '0003_intents': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema before it, not Database
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('intents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','awaiting_approval','paid','rejected','expired','cancelled')`))
        .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        // A transfer never pays two intents (NULLs are distinct in SQLite and PostgreSQL alike).
        .addColumn('transaction_id', 'text', (c) => c.unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        // One intent per order: a retried create finds the first.
        .addUniqueConstraint('intents_store_order', ['store_id', 'order_id'])
        .execute()
      await db.schema.createIndex('intents_open_amount').on('intents').columns(['store_id', 'amount', 'created_at']).where(sql.ref('status'), '=', 'pending').execute()
      await db.schema.createIndex('intents_expiring').on('intents').columns(['expires_at']).where(sql.ref('status'), '=', 'pending').execute()
      await db.schema.createIndex('intents_store_created').on('intents').columns(['store_id', 'created_at', 'id']).execute()
    },
  },
  // Several instances on one PostgreSQL: a dispatcher leases the outbox rows it sends
  // (FOR UPDATE SKIP LOCKED), and a dead instance's leases expire. Unused by the embedded store.
  '0004_devices': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema before it, not Database
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('last_contact_at', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('online','offline')`))
        .addColumn('state_since', 'bigint', (c) => c.notNull())
        .addColumn('contact', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        // A device is one row per store and name, however often and by whatever path it reports.
        .addUniqueConstraint('devices_store_name', ['store_id', 'name'])
        .execute()
      // The silence sweep: online devices by last contact.
      await db.schema.createIndex('devices_state_contact').on('devices').columns(['state', 'last_contact_at']).execute()
      // The balance chain of each receiving wallet or account: known balances by SMS time.
      await db.schema.createTable('balance_points')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id'))
        .addColumn('chain', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('balance', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('balance_points_chain_at').on('balance_points').columns(['store_id', 'chain', 'at']).execute()
    },
  },
  // Several instances on one PostgreSQL: a dispatcher leases the outbox rows it sends
  // (FOR UPDATE SKIP LOCKED), and a dead instance's leases expire. Unused by the embedded store.
  '0005_outbox_lease': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema before it, not Database
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('notifications').addColumn('leased_until', 'bigint').execute()
      await db.schema.alterTable('notifications').addColumn('leased_by', 'text').execute()
    },
  },
  '0006_sessions': {
    // Dashboard sign-in: one-time links and browser sessions, tokens stored as sha256 hashes only.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema before it, not Database
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('link','session')`))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked', 'integer', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .execute()
    },
  },
  '0007_rate_windows': {
    // Failed-check counters of instances sharing a PostgreSQL (the embedded store counts in memory;
    // the table is made there too, as every migration runs on both, and stays empty).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema before it, not Database
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('rate_windows')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('bucket_start', 'bigint', (c) => c.notNull())
        .addColumn('hits', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_windows_pk', ['key', 'bucket_start'])
        .execute()
      await db.schema.createIndex('rate_windows_expires').on('rate_windows').column('expires_at').execute()
    },
  },
}
