/**
 * The dashboard's own records and totals, as Kysely queries any engine can run (SQLite now, PostgreSQL next):
 * each write is one conditional statement, so a one-time link is redeemed by exactly one caller
 * without a transaction spanning awaits.
 */
import type {Kysely} from 'kysely'

import type {SessionRecord, TransactionStatus} from '../core/model.js'
import type {Database, SessionsTable} from './schema.js'
import type {TransactionTotal} from './storage.js'

function toRecord(r: SessionsTable): SessionRecord {
  return {
    id: r.id,
    kind: r.kind as SessionRecord['kind'],
    tokenHash: r.token_hash,
    // PostgreSQL hands bigint back as a string.
    createdAt: new Date(Number(r.created_at)).toISOString(),
    expiresAt: new Date(Number(r.expires_at)).toISOString(),
    lastSeenAt: new Date(Number(r.last_seen_at)).toISOString(),
    revoked: Number(r.revoked) !== 0,
    label: r.label,
  }
}

export async function insertSession(k: Kysely<Database>, s: SessionRecord): Promise<void> {
  await k.insertInto('sessions').values({
    id: s.id, kind: s.kind, token_hash: s.tokenHash, created_at: Date.parse(s.createdAt), expires_at: Date.parse(s.expiresAt),
    last_seen_at: Date.parse(s.lastSeenAt), revoked: s.revoked ? 1 : 0, label: s.label,
  }).execute()
}

export async function findSessionByTokenHash(k: Kysely<Database>, hash: string): Promise<SessionRecord | undefined> {
  const r = await k.selectFrom('sessions').selectAll().where('token_hash', '=', hash).executeTakeFirst()
  return r ? toRecord(r) : undefined
}

/** Revoke one if it is still live at `now`; true for the one caller whose statement changed it. */
export async function revokeSession(k: Kysely<Database>, id: string, now: Date): Promise<boolean> {
  const r = await k.updateTable('sessions').set({revoked: 1}).where('id', '=', id).where('revoked', '=', 0).where('expires_at', '>', now.getTime()).executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export async function touchSession(k: Kysely<Database>, id: string, at: Date): Promise<void> {
  await k.updateTable('sessions').set({last_seen_at: at.getTime()}).where('id', '=', id).where('revoked', '=', 0).execute()
}

export async function revokeAllSessions(k: Kysely<Database>): Promise<number> {
  const r = await k.updateTable('sessions').set({revoked: 1}).where('revoked', '=', 0).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** Count and sum of transactions created in [since, until), per store and status (the dashboard's totals). */
export async function transactionTotals(k: Kysely<Database>, since: Date, until: Date): Promise<TransactionTotal[]> {
  const rows = await k.selectFrom('transactions')
    .select((e) => ['store_id', 'status', e.fn.countAll().as('n'), e.fn.sum('amount').as('total')])
    .where('created_at', '>=', since.getTime()).where('created_at', '<', until.getTime())
    .groupBy(['store_id', 'status'])
    .execute()
  return rows.map((r) => ({storeId: r.store_id, status: r.status as TransactionStatus, count: Number(r.n), amount: Number(r.total)}))
}
