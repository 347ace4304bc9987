/**
 * Moving a store between data dirs (a laptop's to a server's): a store document with its
 * settings AND its secrets — the signing secret (so the merchant's site keeps verifying), the
 * WHMCS credential and forwarder key, and the hashes of its API and device tokens (so the phone
 * and the merchant's backend keep working), unless exported without tokens, when the import
 * issues new ones.
 */
import {z} from 'zod'

import {EXIT, VcashError} from '../core/errors.js'
import type {StoreRecord} from '../core/model.js'
import {hashToken, newToken} from '../core/secrets.js'
import {parseStoreSettings, settingsOf, validationError} from '../core/store-settings.js'
import type {AppContext} from './context.js'
import {type Stores, storeFields} from './stores.js'

export const STORE_FORMAT = 'vcash-store/1'

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest')

const storeDocument = z.object({
  format: z.literal(STORE_FORMAT),
  exported_at: z.string(),
  store: z.object({
    id: z.string().regex(/^st_[A-Za-z0-9_-]{4,64}$/, 'a store id (st_…)'),
    created_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO time'),
    settings: z.unknown(),
    signing_secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'a whsec_… signing secret'),
    previous_signing_secret: z.object({secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/), until: z.number().int().nonnegative()}).nullable().optional(),
    api_token_hash: sha256Hex.optional(),
    device_token_hash: sha256Hex.optional(),
  }).strict(),
}).strict()

export type StoreDocument = z.infer<typeof storeDocument>

export function exportStoreDocument(store: StoreRecord, opts: {withTokens: boolean; now: Date}): StoreDocument {
  return {
    format: STORE_FORMAT,
    exported_at: opts.now.toISOString(),
    store: {
      id: store.id,
      created_at: store.createdAt,
      settings: settingsOf(store),
      signing_secret: store.signingSecret,
      previous_signing_secret: store.previousSigningSecret ?? null,
      ...(opts.withTokens ? {api_token_hash: store.apiTokenHash, device_token_hash: store.deviceTokenHash} : {}),
    },
  }
}

export interface ImportedStore {
  store: StoreRecord
  /** Issued by this import (the document had no tokens): shown once. */
  apiToken: string | null
  deviceToken: string | null
}

export async function importStoreDocument(ctx: AppContext, stores: Stores, input: unknown): Promise<ImportedStore> {
  const parsed = storeDocument.safeParse(input)
  if (!parsed.success) throw validationError(parsed.error)
  const d = parsed.data.store
  const settings = parseStoreSettings(d.settings)
  if (await ctx.storage.getStore(d.id)) {
    throw new VcashError('store_exists', `store ${d.id} already exists in this data dir`, {exit: EXIT.cantCreate, suggestion: 'It was imported before; change it with `vcash store set`, or import into another data dir.'})
  }
  const apiToken = d.api_token_hash ? null : newToken('vk')
  const deviceToken = d.device_token_hash ? null : newToken('vd')
  const at = ctx.now().toISOString()
  const store: StoreRecord = {
    id: d.id,
    createdAt: new Date(d.created_at).toISOString(),
    updatedAt: at,
    apiTokenHash: d.api_token_hash ?? hashToken(apiToken!),
    deviceTokenHash: d.device_token_hash ?? hashToken(deviceToken!),
    signingSecret: d.signing_secret,
    previousSigningSecret: d.previous_signing_secret ?? null,
    ...storeFields(settings),
    version: 0,
  }
  try {
    await ctx.storage.commit({stores: [store]})
  } catch (error) {
    // The ids were checked above: what is left is a token another store here already uses.
    throw new VcashError('store_conflict', `store ${d.id} could not be added: ${(error as Error).message}`, {exit: EXIT.cantCreate, suggestion: 'Its tokens are in use by another store here: export it again with --without-tokens to get new ones.', cause: error})
  }
  stores.forget(d.id)
  return {store, apiToken, deviceToken}
}
