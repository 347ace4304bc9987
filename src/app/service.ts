import type {StoreSettingsInput} from '../core/store-settings.js'
import type {DeviceRecord, IntentRecord, StoreRecord, TransactionRecord} from '../core/model.js'
import {type FailedChecksFactory, inMemoryFailedChecks} from '../core/rate-limit.js'
import type {Storage} from '../storage/storage.js'
import {type CheckInput, type CheckOptions, type CheckResult, Checks} from './checks.js'
import type {AppContext, BuildIntentNotification, BuildNotification, ServiceEvent} from './context.js'
import {Decisions} from './decisions.js'
import {type BuildDeviceNotification, Devices, type HeartbeatInput, type SweepResult} from './devices.js'
import {RecentContacts} from './recent-contacts.js'
import {expireDue, type ExpiryScope} from './expiry.js'
import {type IngestInput, type IngestResult, ingestSms} from './ingest.js'
import {type ClaimIntentInput, type ClaimIntentResult, type CreateIntentInput, Intents} from './intents.js'
import {type CreatedStore, Stores} from './stores.js'
import {Sessions} from './sessions.js'
import {type RotatedSecret, rotateSigningSecret} from './secret-rotation.js'
import {exportStoreDocument, type ImportedStore, importStoreDocument, type StoreDocument} from './store-transfer.js'

export type {BuildNotification, ServiceEvent} from './context.js'
export type {CheckInput, CheckOutcome, CheckResult} from './checks.js'
export type {IngestInput, IngestResult} from './ingest.js'
export type {CreatedStore} from './stores.js'
export type {BuildDeviceNotification, HeartbeatInput, SweepResult} from './devices.js'
export type {RotatedSecret} from './secret-rotation.js'
export type {ImportedStore, StoreDocument} from './store-transfer.js'
export type {ClaimIntentInput, ClaimIntentResult, CreateIntentInput} from './intents.js'

export interface VcashServiceOptions extends CheckOptions {
  storage: Storage
  /** Puts the merchant's notification in the outbox, in the same commit as the change. */
  buildNotification?: BuildNotification
  /** The same for payment intents' events (intent.paid, intent.expired). */
  buildIntentNotification?: BuildIntentNotification
  /** Puts `device.offline` / `device.online` in the outbox (contract §7). */
  buildDeviceNotification?: BuildDeviceNotification
  now?: () => Date
  onEvent?: (e: ServiceEvent) => void
}

/**
 * The one client every front end calls (HTTP routes, CLI commands, simulate): the use cases
 * of app/ over one ledger. All I/O goes through Storage; every state change and the
 * notification it causes are one commit.
 */
export class VcashService {
  readonly storage: Storage
  readonly stores: Stores
  /** The operator dashboard's sign-in links and sessions. */
  readonly sessions: Sessions
  private readonly ctx: AppContext
  private readonly checks: Checks
  private readonly decisions: Decisions
  private readonly intents: Intents
  readonly devices: Devices
  /**
   * Where failed attempts are counted: this process, or the database instances share. The
   * checks' limits and the dashboard's sign-in limit both take their counters from it, so a
   * guesser spreading attempts over instances is counted once.
   */
  readonly failedChecks: FailedChecksFactory

  constructor(opts: VcashServiceOptions) {
    this.storage = opts.storage
    this.failedChecks = opts.failedChecks ?? inMemoryFailedChecks
    const now = opts.now ?? (() => new Date())
    this.ctx = {storage: opts.storage, now, buildNotification: opts.buildNotification ?? (() => null), buildIntentNotification: opts.buildIntentNotification, emit: opts.onEvent ?? (() => {}), contacts: new RecentContacts()}
    this.stores = new Stores(this.ctx)
    this.sessions = new Sessions(this.ctx)
    this.checks = new Checks(this.ctx, this.stores, {...opts, failedChecks: this.failedChecks})
    this.intents = new Intents(this.ctx, this.stores)
    this.decisions = new Decisions(this.ctx, this.stores, this.intents)
    this.devices = new Devices(this.ctx, opts.buildDeviceNotification ?? (() => null))
  }

  /** The service's idea of now (moved forward only by `vcash serve --dev` for simulations). */
  clock(): Date {
    return this.ctx.now()
  }

  createStore(input: StoreSettingsInput): Promise<CreatedStore> {
    return this.stores.create(input)
  }

  updateStore(id: string, patch: Partial<StoreSettingsInput>): Promise<StoreRecord> {
    return this.stores.update(id, patch)
  }

  rotateTokens(id: string): Promise<CreatedStore> {
    return this.stores.rotateTokens(id)
  }

  /** A new signing secret; the previous one keeps signing beside it for `overlapMs`. */
  rotateSigningSecret(id: string, overlapMs: number): Promise<RotatedSecret> {
    return rotateSigningSecret(this.ctx, this.stores, id, overlapMs)
  }

  /** A store with its settings and secrets, to move it to another data dir. */
  async exportStore(id: string, opts: {withTokens: boolean}): Promise<StoreDocument> {
    return exportStoreDocument(await this.stores.require(id), {withTokens: opts.withTokens, now: this.ctx.now()})
  }

  /** Add a store from `exportStore`'s document (validated). */
  importStore(document: unknown): Promise<ImportedStore> {
    return importStoreDocument(this.ctx, this.stores, document)
  }

  findStore(id: string): Promise<StoreRecord | undefined> {
    return this.stores.find(id)
  }

  requireStore(id: string): Promise<StoreRecord> {
    return this.stores.require(id)
  }

  resolveStore(id?: string): Promise<StoreRecord> {
    return this.stores.resolve(id)
  }

  /**
   * An SMS in. A new receipt then pays the checkout-page intent waiting for it, in a commit of its
   * own after the SMS's: the SMS is acknowledged as stored either way, and the sweep retries a
   * match this step lost.
   */
  async ingestSms(store: StoreRecord, input: IngestInput): Promise<IngestResult> {
    const r = await ingestSms(this.ctx, store, input)
    if (r.outcome === 'created' && r.transaction) {
      try {
        const paid = await this.intents.onReceipt(store, r.transaction)
        if (paid) r.transaction = (await this.storage.getTransaction(r.transaction.id)) ?? r.transaction
      } catch {
        // The SMS is durable and must be acknowledged as such; the next sweep pays the intent.
        this.ctx.emit({type: 'check', outcome: 'intent_match_deferred'})
      }
    }
    return r
  }

  check(input: CheckInput): Promise<CheckResult> {
    return this.checks.run(input)
  }

  approve(id: string, by: string, storeId?: string): Promise<TransactionRecord> {
    return this.decisions.approve(id, by, storeId)
  }

  reject(id: string, by: string, why: string | null, storeId?: string): Promise<TransactionRecord> {
    return this.decisions.reject(id, by, why, storeId)
  }

  match(id: string, customer: {userName: string | null; clientId: string | null; orderId?: string | null}, by: string, storeId?: string): Promise<TransactionRecord> {
    return this.decisions.match(id, customer, by, storeId)
  }

  requireTransaction(id: string, storeId?: string): Promise<TransactionRecord> {
    return this.decisions.requireTransaction(id, storeId)
  }

  /**
   * The sweep: transfers past their match window, intents past their expiry. Scoped (simulate's
   * own store on a shared server): that store's transfers only, judged on its shifted clock.
   */
  async expireDue(limit = 1000, scope?: ExpiryScope): Promise<number> {
    if (scope) return expireDue(this.ctx, limit, scope)
    return (await expireDue(this.ctx, limit)) + (await this.intents.sweep(limit))
  }

  createIntent(input: CreateIntentInput): Promise<{intent: IntentRecord; created: boolean}> {
    return this.intents.create(input)
  }

  requireIntent(id: string, storeId?: string): Promise<IntentRecord> {
    return this.intents.require(id, storeId)
  }

  findIntentByOrder(storeId: string, orderId: string): Promise<IntentRecord | undefined> {
    return this.intents.findByOrder(storeId, orderId)
  }

  cancelIntent(id: string, storeId: string, by: string): Promise<IntentRecord> {
    return this.intents.cancel(id, storeId, by)
  }

  claimIntent(input: ClaimIntentInput): Promise<ClaimIntentResult> {
    return this.intents.claim(input)
  }

  /** An operator pays a pending intent with an unclaimed transfer of the same amount. */
  matchIntent(intentId: string, transactionId: string, by: string, storeId?: string): Promise<IntentRecord> {
    return this.intents.matchByHand(intentId, transactionId, by, storeId)
  }

  heartbeat(store: StoreRecord, hb: HeartbeatInput): Promise<DeviceRecord> {
    return this.devices.heartbeat(store, hb)
  }

  listDevices(storeId?: string): Promise<DeviceRecord[]> {
    return this.devices.list(storeId)
  }

  /** Devices silent past their store's limit go offline, returning ones come online; each told once. */
  sweepDevices(limit = 500): Promise<SweepResult> {
    return this.devices.sweep(limit)
  }
}
