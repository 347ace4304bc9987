/**
 * Rotating a store's signing secret without a failed delivery: the new secret signs at once,
 * and for an overlap period the previous one signs beside it (several Standard Webhooks
 * signatures; `signature_previous` on GET callbacks), so the merchant can switch their site to
 * the new secret any time within it.
 */
import {EXIT, VcashError} from '../core/errors.js'
import type {StoreRecord} from '../core/model.js'
import {newSigningSecret} from '../core/secrets.js'
import type {AppContext} from './context.js'
import type {Stores} from './stores.js'

/** The longest overlap: a forgotten old secret must not sign for ever. */
export const MAX_OVERLAP_MS = 30 * 24 * 3_600_000

export interface RotatedSecret {
  store: StoreRecord
  /** The new secret, shown once. */
  signingSecret: string
  /** Until when the previous secret also signs (epoch ms); null when there is no overlap. */
  previousUntil: number | null
}

export async function rotateSigningSecret(ctx: AppContext, stores: Stores, id: string, overlapMs: number): Promise<RotatedSecret> {
  if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_OVERLAP_MS) {
    throw new VcashError('invalid_input', 'the overlap must be between 0 and 30 days', {exit: EXIT.usage, suggestion: 'e.g. --overlap 24h (the default), or --overlap 0 to stop the old secret at once.'})
  }
  const cur = await stores.require(id)
  const now = ctx.now().getTime()
  const signingSecret = newSigningSecret()
  // Rotating again within an overlap keeps only the secret in use right before: the one the
  // merchant most likely has; the one before that stops signing now.
  const previousUntil = overlapMs > 0 ? now + overlapMs : null
  const store: StoreRecord = {
    ...cur,
    signingSecret,
    previousSigningSecret: previousUntil === null ? null : {secret: cur.signingSecret, until: previousUntil},
    updatedAt: new Date(now).toISOString(),
  }
  await ctx.storage.commit({stores: [store]})
  stores.forget(id)
  return {store, signingSecret, previousUntil}
}
