import crypto from 'node:crypto'

/** Ids and secrets. Ids are unguessable because the WHMCS module checks by store id alone. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${crypto.randomBytes(bytes).toString('base64url')}`
}

/** base64url's 64 characters in ASCII order, so encoded numbers sort as the numbers do. */
const SORTABLE = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
let pool = Buffer.alloc(0)
let poolAt = 0

function random(bytes: number): Buffer {
  // One getrandom call per 4 KB of ids instead of one per id (ingest makes three ids per SMS).
  if (poolAt + bytes > pool.length) {
    pool = crypto.randomBytes(4096)
    poolAt = 0
  }
  poolAt += bytes
  return pool.subarray(poolAt - bytes, poolAt)
}

/**
 * An id that sorts by creation time (7 characters of milliseconds, good until 2109) followed by
 * 80 random bits, for the records written on every SMS: new rows land at the right edge of
 * the ledger's indexes instead of at random pages, which is most of what an insert costs.
 */
export function newSortableId(prefix: string, at = Date.now()): string {
  let t = ''
  for (let i = 0, v = at; i < 7; i++, v = Math.floor(v / 64)) t = SORTABLE[v % 64]! + t
  return `${prefix}_${t}${random(10).toString('base64url')}`
}

export function newToken(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(24).toString('base64url')}`
}

/** Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64')}`
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Compare a presented token with a stored sha256 hex in constant time. */
export function tokenMatches(presented: string | undefined | null, storedHash: string): boolean {
  if (!presented) return false
  const a = Buffer.from(hashToken(presented), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest()
  const hb = crypto.createHash('sha256').update(b).digest()
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length
}
