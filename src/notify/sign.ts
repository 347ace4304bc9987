import crypto from 'node:crypto'

import {Webhook} from 'standardwebhooks'

import type {StoreRecord} from '../core/model.js'

/** The secrets that sign what is sent at `at`: the store's, then during a rotation's overlap the previous one. */
export function signingSecrets(store: Pick<StoreRecord, 'signingSecret' | 'previousSigningSecret'>, at: Date): string[] {
  const prev = store.previousSigningSecret
  return prev && at.getTime() < prev.until && prev.secret !== store.signingSecret ? [store.signingSecret, prev.secret] : [store.signingSecret]
}

/**
 * GET callbacks: the fields as a query string in a fixed order, then `signature` =
 * hex HMAC-SHA256 of exactly that query string (everything before `&signature=`) under the
 * store's signing secret. A PHP site verifies it with:
 *   $q = $_SERVER['QUERY_STRING'];
 *   $i = strrpos($q, '&signature=');
 *   $mine = hash_hmac('sha256', substr($q, 0, $i), $secret);
 *   if (!hash_equals($mine, substr($q, $i + 11))) { http_response_code(401); exit; }
 *
 * During a secret rotation's overlap (`vcash store rotate-secret`), `signature_previous` =
 * HMAC of everything before it under the previous secret comes right before `signature`, which
 * then covers it too: a site holding the new secret verifies as above, one still holding the
 * old secret checks `signature_previous` (docs/callbacks.md has the snippet for both).
 */
export function signedQuery(fields: Record<string, unknown>, secret: string, prefix = ''): string {
  const qs = prefix + new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString()
  const sig = crypto.createHmac('sha256', secret).update(qs).digest('hex')
  return `${qs}&signature=${sig}`
}

export function verifySignedQuery(query: string, secret: string): boolean {
  const i = query.lastIndexOf('&signature=')
  if (i < 0) return false
  const expected = crypto.createHmac('sha256', secret).update(query.slice(0, i)).digest()
  const given = Buffer.from(query.slice(i + 11), 'hex')
  return given.length === expected.length && crypto.timingSafeEqual(given, expected)
}

export function callbackUrl(base: string, fields: Record<string, unknown>, secret: string | string[]): string {
  const u = new URL(base)
  // The merchant's own query parameters are kept, and covered by the signature too.
  const extra = u.search ? `${u.search.slice(1)}&` : ''
  u.search = ''
  const [current, previous] = typeof secret === 'string' ? [secret] : secret
  if (!previous) return `${u.toString()}?${signedQuery(fields, current!, extra)}`
  // The query as the previous secret signed it, its `&signature=` (the last one) renamed.
  const byPrevious = signedQuery(fields, previous, extra)
  const k = byPrevious.lastIndexOf('&signature=')
  const old = `${byPrevious.slice(0, k)}&signature_previous=${byPrevious.slice(k + 11)}`
  const sig = crypto.createHmac('sha256', current!).update(old).digest('hex')
  return `${u.toString()}?${old}&signature=${sig}`
}

/**
 * Standard Webhooks headers over the exact body bytes we send. Several secrets (a rotation's
 * overlap) give several space-separated signatures, which the spec allows for exactly this:
 * a verifier accepts the message when any of them is valid under its secret.
 */
export function webhookHeaders(id: string, signedAtMs: number, body: string, secret: string | string[]): Record<string, string> {
  const at = new Date(signedAtMs)
  const secrets = typeof secret === 'string' ? [secret] : secret
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(signedAtMs / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  }
}
