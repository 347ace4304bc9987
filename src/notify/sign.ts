import crypto from 'node:crypto'

import {Webhook} from 'standardwebhooks'

/**
 * GET callbacks: the fields as a query string in a fixed order, then `signature` =
 * hex HMAC-SHA256 of exactly that query string (everything before `&signature=`) under the
 * store's signing secret. A PHP site verifies it with:
 *   $q = $_SERVER['QUERY_STRING'];
 *   $i = strrpos($q, '&signature=');
 *   $mine = hash_hmac('sha256', substr($q, 0, $i), $secret);
 *   if (!hash_equals($mine, substr($q, $i + 11))) { http_response_code(401); exit; }
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

export function callbackUrl(base: string, fields: Record<string, unknown>, secret: string): string {
  const u = new URL(base)
  // The merchant's own query parameters are kept, and covered by the signature too.
  const extra = u.search ? `${u.search.slice(1)}&` : ''
  u.search = ''
  return `${u.toString()}?${signedQuery(fields, secret, extra)}`
}

/** Standard Webhooks headers over the exact body bytes we send. */
export function webhookHeaders(id: string, signedAtMs: number, body: string, secret: string): Record<string, string> {
  const at = new Date(signedAtMs)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(signedAtMs / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  }
}
