import crypto from 'node:crypto'

import type {SessionRecord} from '../core/model.js'
import {hashToken, newId} from '../core/secrets.js'
import type {AppContext} from './context.js'

/** How long the link `vcash dashboard` prints can be used (once). */
export const LINK_TTL_MS = 10 * 60_000
/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 12 * 3_600_000
/** …and after this long whatever happens. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000
/** Write "last seen" at most this often: a dashboard makes many requests, each write is an fsync. */
const TOUCH_EVERY_MS = 60_000

export interface SignInLink {
  token: string
  expiresAt: string
}

export interface OpenedSession {
  /** The cookie's value: shown to the browser once, stored only as its hash. */
  token: string
  session: SessionRecord
}

export type RedeemOutcome = {ok: true; opened: OpenedSession} | {ok: false; reason: 'unknown' | 'used' | 'expired'}

/**
 * Operator sign-in without a password to manage, the way notebook servers do it: the CLI (which
 * can open the ledger, so it is the operator) writes a one-time link token; the browser trades it
 * for a session cookie. Tokens are random, stored hashed, compared by hash lookup.
 */
export class Sessions {
  constructor(private readonly ctx: AppContext) {}

  async createLink(label: string): Promise<SignInLink> {
    const now = this.ctx.now()
    const token = crypto.randomBytes(32).toString('base64url')
    const expiresAt = new Date(now.getTime() + LINK_TTL_MS).toISOString()
    await this.ctx.storage.insertSession({id: newId('sl'), kind: 'link', tokenHash: hashToken(token), createdAt: now.toISOString(), expiresAt, lastSeenAt: now.toISOString(), revoked: false, label})
    return {token, expiresAt}
  }

  /** Trade a link token for a session; the conditional revoke makes the link single-use under any race. */
  async redeem(linkToken: string): Promise<RedeemOutcome> {
    const now = this.ctx.now()
    const link = await this.ctx.storage.findSessionByTokenHash(hashToken(linkToken))
    if (!link || link.kind !== 'link') return {ok: false, reason: 'unknown'}
    if (Date.parse(link.expiresAt) <= now.getTime()) return {ok: false, reason: 'expired'}
    if (link.revoked || !(await this.ctx.storage.revokeSession(link.id, now))) return {ok: false, reason: 'used'}
    const token = crypto.randomBytes(32).toString('base64url')
    const session: SessionRecord = {
      id: newId('ss'), kind: 'session', tokenHash: hashToken(token), createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_MAX_MS).toISOString(), lastSeenAt: now.toISOString(), revoked: false, label: link.label,
    }
    await this.ctx.storage.insertSession(session)
    return {ok: true, opened: {token, session}}
  }

  /** The live session this cookie belongs to, or null (unknown, revoked, idle too long, too old). */
  async authenticate(cookieToken: string | undefined): Promise<SessionRecord | null> {
    if (!cookieToken || cookieToken.length > 100) return null
    const s = await this.ctx.storage.findSessionByTokenHash(hashToken(cookieToken))
    const now = this.ctx.now().getTime()
    if (!s || s.kind !== 'session' || s.revoked) return null
    if (Date.parse(s.expiresAt) <= now || Date.parse(s.lastSeenAt) + SESSION_IDLE_MS <= now) return null
    if (now - Date.parse(s.lastSeenAt) >= TOUCH_EVERY_MS) {
      await this.ctx.storage.touchSession(s.id, new Date(now))
      s.lastSeenAt = new Date(now).toISOString()
    }
    return s
  }

  async signOut(session: SessionRecord): Promise<void> {
    await this.ctx.storage.revokeSession(session.id, this.ctx.now())
  }

  signOutEverywhere(): Promise<number> {
    return this.ctx.storage.revokeAllSessions()
  }
}

/**
 * The form token bound to a session (synchronizer token pattern without storing it): an HMAC
 * of a fixed label under the session's cookie token, which only the server and that browser hold.
 */
export function csrfToken(cookieToken: string): string {
  return crypto.createHmac('sha256', cookieToken).update('vcash dashboard csrf v1').digest('base64url')
}

export function csrfMatches(cookieToken: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length > 100) return false
  const a = Buffer.from(csrfToken(cookieToken))
  const b = Buffer.from(presented)
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}
