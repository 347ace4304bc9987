import {EXIT, VcashError} from '../core/errors.js'
import type {StoreRecord} from '../core/model.js'
import {tryParseMoney} from '../core/money.js'
import {hashToken, newId, newSigningSecret, newToken} from '../core/secrets.js'
import {type StoreSettings, type StoreSettingsInput, parseStoreSettings, settingsOf} from '../core/store-settings.js'
import type {AppContext} from './context.js'

export interface CreatedStore {
  store: StoreRecord
  apiToken: string
  deviceToken: string
}

/** The record fields a store's validated settings decide (money thresholds as piastres). */
export function storeFields(s: StoreSettings): Pick<StoreRecord, 'name' | 'callback' | 'rate' | 'currencyLabel' | 'antiSpam' | 'requireToken' | 'allowIps' | 'matchWindowMinutes' | 'mode' | 'forwarderSigningKey' | 'payTo'> {
  return {
    name: s.name,
    callback: s.callback,
    rate: s.rate,
    currencyLabel: s.currencyLabel,
    antiSpam: {enabled: s.antiSpam.enabled, rules: {
      amountOver: s.antiSpam.amountOver === null ? null : tryParseMoney(s.antiSpam.amountOver),
      firstPayment: s.antiSpam.firstPayment,
      failedChecksBefore: s.antiSpam.failedChecksBefore,
      duplicatePending: s.antiSpam.duplicatePending,
    }},
    requireToken: s.requireToken,
    allowIps: s.allowIps,
    matchWindowMinutes: s.matchWindowMinutes,
    mode: s.mode,
    forwarderSigningKey: s.forwarderSigningKey,
    payTo: s.payTo,
  }
}

/** Stores: created, changed, their tokens rotated, and found (cached for the hot paths). */
export class Stores {
  private readonly recent = new Map<string, StoreRecord>()
  /** The same stores by the hash of their device token (every SMS the phone posts looks one up). */
  private readonly byDevice = new Map<string, StoreRecord>()
  private seenAt: number | null = null
  private checkedThisTurn = false

  constructor(private readonly ctx: AppContext) {}

  async create(input: StoreSettingsInput): Promise<CreatedStore> {
    const s = parseStoreSettings(input)
    const at = this.ctx.now().toISOString()
    const apiToken = newToken('vk')
    const deviceToken = newToken('vd')
    const store: StoreRecord = {
      id: newId('st', 9),
      createdAt: at,
      updatedAt: at,
      apiTokenHash: hashToken(apiToken),
      deviceTokenHash: hashToken(deviceToken),
      signingSecret: newSigningSecret(),
      ...storeFields(s),
      version: 0,
    }
    await this.ctx.storage.commit({stores: [store]})
    return {store, apiToken, deviceToken}
  }

  /** Merge a partial settings patch, re-validate the whole, commit. */
  async update(id: string, patch: Partial<StoreSettingsInput>): Promise<StoreRecord> {
    const cur = await this.require(id)
    const base = settingsOf(cur)
    // Callers that never saw the WHMCS secret (the admin API hides it) send it empty: keep it.
    if (patch.callback?.kind === 'whmcs' && cur.callback.kind === 'whmcs') {
      patch = {...patch, callback: {...patch.callback, secret: patch.callback.secret || cur.callback.secret, identifier: patch.callback.identifier || cur.callback.identifier}}
    }
    const merged = {...base, ...patch, antiSpam: {...base.antiSpam, ...(patch.antiSpam ?? {})}}
    const s = parseStoreSettings(merged)
    const next: StoreRecord = {...cur, ...storeFields(s), updatedAt: this.ctx.now().toISOString()}
    await this.ctx.storage.commit({stores: [next]})
    this.forget(id)
    return next
  }

  /** Issue new API and device tokens (the old ones stop working). */
  async rotateTokens(id: string): Promise<CreatedStore> {
    const cur = await this.require(id)
    const apiToken = newToken('vk')
    const deviceToken = newToken('vd')
    const store = {...cur, apiTokenHash: hashToken(apiToken), deviceTokenHash: hashToken(deviceToken), updatedAt: this.ctx.now().toISOString()}
    await this.ctx.storage.commit({stores: [store]})
    this.forget(id)
    return {store, apiToken, deviceToken}
  }

  /** Drop a store from the hot-path cache after a change made outside these methods. */
  forget(id: string): void {
    this.recent.delete(id)
    for (const [hash, st] of this.byDevice) if (st.id === id) this.byDevice.delete(hash)
  }

  /**
   * A store as the hot paths (checks, the public rate) read it, kept in memory until anything
   * else changes the ledger: a change made here drops it at once, a commit by another process
   * (a CLI command) drops them all. Every write reads the ledger itself (require).
   */
  async find(id: string): Promise<StoreRecord | undefined> {
    const version = this.version()
    const hit = this.recent.get(id)
    if (hit) return hit
    const store = await this.ctx.storage.getStore(id)
    if (store && version !== null && this.recent.size < 10_000) this.recent.set(id, store)
    return store
  }

  /** The store whose device token hashes to this (the phone's SMS), cached like find. */
  async findByDeviceTokenHash(hash: string): Promise<StoreRecord | undefined> {
    const version = this.version()
    const hit = this.byDevice.get(hash)
    if (hit) return hit
    const store = await this.ctx.storage.findStoreByDeviceTokenHash(hash)
    if (store && version !== null && this.byDevice.size < 10_000) this.byDevice.set(hash, store)
    return store
  }

  /**
   * Whether the cache still holds: SQLite's data_version, asked at most once per turn of the
   * event loop (asking is a read transaction, ~10 µs, more than the lookup it guards). Another
   * process's commit is seen from the next turn on. Null: the engine cannot tell, so no cache.
   */
  private version(): number | null {
    if (this.checkedThisTurn) return this.seenAt
    const version = this.ctx.storage.changesElsewhere?.() ?? null
    if (version === null || version !== this.seenAt) {
      this.recent.clear()
      this.byDevice.clear()
      this.seenAt = version
    }
    if (version !== null) {
      this.checkedThisTurn = true
      setImmediate(() => (this.checkedThisTurn = false))
    }
    return version
  }

  async require(id: string): Promise<StoreRecord> {
    const s = await this.ctx.storage.getStore(id)
    if (!s) throw new VcashError('store_not_found', `no store with id ${id}`, {http: 404, exit: EXIT.usage, suggestion: 'List stores with `vcash store list`.'})
    return s
  }

  /** The store a command means: the given id, or the only one there is. */
  async resolve(id?: string): Promise<StoreRecord> {
    if (id) return this.require(id)
    const all = await this.ctx.storage.listStores()
    if (all.length === 1) return all[0]!
    if (all.length === 0) throw new VcashError('no_store', 'there is no store in this data dir yet', {exit: EXIT.usage, suggestion: 'Create one with `vcash store init` (or `vcash store import FILE`), or run `vcash serve --dev` once to create a development store.'})
    throw new VcashError('store_required', `this data dir has ${all.length} stores; say which one`, {exit: EXIT.usage, suggestion: `Pass --store (one of: ${all.map((s) => s.id).join(', ')}).`})
  }
}
