import type {EventEmitter} from 'node:events'

import express, {type NextFunction, type Request, type Response} from 'express'

import {csrfMatches, csrfToken} from '../../app/sessions.js'
import type {StoreSettingsInput} from '../../core/store-settings.js'
import {VcashError} from '../../core/errors.js'
import type {NotificationRecord, SessionRecord, TransactionRecord, TransactionStatus} from '../../core/model.js'
import {tryNormalisePhone} from '../../core/phone.js'
import {callerKey} from '../../core/rate-limit.js'
import {replayCallback, requireCallback, retryOne} from '../../notify/admin.js'
import {clientIp, isLoopback} from '../http-util.js'
import {SCRIPT, STYLESHEET} from '../web/dashboard/assets.js'
import {html} from '../web/dashboard/html.js'
import type {Lang} from '../web/dashboard/i18n.js'
import {makeView, type View} from '../web/dashboard/layout.js'
import * as pages from '../web/dashboard/pages.js'
import {cairoMidnight, addDays, isDate, lastDays, weekStart} from '../web/dashboard/time.js'
import type {RouteContext} from './context.js'
import {dashboardIntentRoutes, pendingIntentsFor} from './dashboard-intents.js'
import {cameOverHttps, type DashboardMode, dashboardReachable} from './dashboard-access.js'

export interface DashboardOptions {
  mode: DashboardMode
  /** Fires on anything the pages show changing in this process (SMS, claims, deliveries). */
  live: EventEmitter<{change: [string]}>
  /** `vcash serve --dev`: replays may go to http://localhost. */
  devOverride?: boolean
}

export const SESSION_COOKIE = 'vcash_session'
const LANG_COOKIE = 'vcash_lang'
/** Failed sign-ins allowed per client address (and in all) per 10 minutes. */
const SIGN_IN_FAILURES = 10
const SIGN_IN_FAILURES_ALL = 100
const SIGN_IN_WINDOW_MS = 10 * 60_000

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

interface Signed {
  session: SessionRecord
  cookie: string
  view: View
}

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    const k = part.slice(0, i).trim()
    if (!(k in out)) out[k] = decodeURIComponent(part.slice(i + 1).trim())
  }
  return out
}

function langOf(req: Request, res: Response): Lang {
  const asked = req.query.lang
  if (asked === 'ar' || asked === 'en') {
    res.append('set-cookie', `${LANG_COOKIE}=${asked}; Path=/dashboard; Max-Age=31536000; SameSite=Strict; HttpOnly`)
    return asked
  }
  const c = cookies(req)[LANG_COOKIE]
  if (c === 'ar' || c === 'en') return c
  return /^ar\b/i.test(req.headers['accept-language'] ?? '') ? 'ar' : 'en'
}

/** A record id from the path (ids are [A-Za-z0-9_-]; anything else is simply not found). */
function idOf(req: Request): string {
  const id = req.params.id
  return typeof id === 'string' ? id.slice(0, 100) : ''
}

function str(v: unknown, max = 200): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : ''
}

/** Only back to a dashboard page of ours: never an open redirect. */
function backTo(v: unknown, fallback: string): string {
  return typeof v === 'string' && /^\/dashboard(\/[A-Za-z0-9_-]+)*$/.test(v) ? v : fallback
}

/**
 * The operator's dashboard: server-rendered pages over the same use cases as the CLI. Mounted at
 * /dashboard; answers 404 wherever the operator did not allow it (see dashboard-access.ts).
 */
export function dashboardRoutes(ctx: RouteContext, o: DashboardOptions): express.Router {
  const r = express.Router()
  const {service, storage} = ctx
  // From the same place the checks count theirs: instances sharing a PostgreSQL count a
  // guesser's sign-ins once, whichever instance each guess reached.
  const failures = service.failedChecks('signin', SIGN_IN_WINDOW_MS)
  const now = () => service.clock()
  /** Seconds this caller must wait before trying again (0: not locked out); the longer wait when both limits are reached. */
  const lockedOutFor = async (ip: string, at: number): Promise<number> => {
    const [mine, all] = await Promise.all([failures.count(ip, at), failures.count('*', at)])
    const waits = await Promise.all([mine >= SIGN_IN_FAILURES ? failures.retryAfter(ip, at) : 0, all >= SIGN_IN_FAILURES_ALL ? failures.retryAfter('*', at) : 0])
    return mine >= SIGN_IN_FAILURES || all >= SIGN_IN_FAILURES_ALL ? Math.max(1, ...waits) : 0
  }

  r.use((req, res, next) => {
    if (!dashboardReachable(o.mode, req)) throw new VcashError('not_found', 'no such endpoint; see /openapi.json', {http: 404})
    res.locals.started = performance.now()
    res.set({'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-resource-policy': 'same-origin'})
    next()
  })

  for (const a of [STYLESHEET, SCRIPT]) {
    r.get(a.path.slice('/dashboard'.length), (_req, res) => {
      res.set({'content-type': a.type, 'cache-control': 'public, max-age=31536000, immutable'}).send(a.body)
    })
  }

  const sendPage = (res: Response, status: number, body: string) => {
    // Server-Timing: what the page cost us (reads and render), visible in the browser's dev tools.
    const ms = performance.now() - (res.locals.started as number)
    res.status(status).set({'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'server-timing': `app;dur=${ms.toFixed(1)}`}).send(body)
  }
  const anonymousView = (req: Request, res: Response) => makeView(langOf(req, res), '', req.originalUrl)
  const secure = async (req: Request) => {
    if (cameOverHttps(req, ctx.trusted)) return true
    // Reached through a proxy (not straight from this machine) with a production store: insist on HTTPS.
    const direct = isLoopback(req.socket.remoteAddress ?? '') && req.headers['x-forwarded-for'] === undefined
    return !direct && (await storage.listStores()).some((s) => s.mode === 'production')
  }

  r.use(express.urlencoded({extended: false, limit: '32kb', parameterLimit: 100}))

  r.get('/login', async (req, res) => {
    const v = anonymousView(req, res)
    // An IPv4 address or a whole IPv6 /64, as the checks count callers.
    const ip = callerKey(clientIp(req, ctx.trusted))
    const at = now().getTime()
    const wait = await lockedOutFor(ip, at)
    if (wait > 0) {
      res.set('retry-after', String(wait))
      sendPage(res, 429, pages.messagePage(v, {title: v.t('signInTitle'), message: v.t('tooMany'), signedIn: false}))
      return
    }
    const token = str(req.query.token, 100)
    const outcome = token ? await service.sessions.redeem(token) : ({ok: false, reason: 'unknown'} as const)
    if (!outcome.ok) {
      await Promise.all([failures.add(ip, at), failures.add('*', at)])
      const message = outcome.reason === 'used' ? v.t('signInUsed') : outcome.reason === 'expired' ? v.t('signInExpired') : v.t('signInBad')
      sendPage(res, outcome.reason === 'unknown' ? 401 : 410, pages.messagePage(v, {title: v.t('signInTitle'), message, signedIn: false, command: true}))
      return
    }
    const maxAge = Math.floor((Date.parse(outcome.opened.session.expiresAt) - now().getTime()) / 1000)
    res.append('set-cookie', `${SESSION_COOKIE}=${outcome.opened.token}; Path=/dashboard; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${(await secure(req)) ? '; Secure' : ''}`)
    // Off the address bar and out of history: the link's token is spent anyway.
    res.redirect(303, '/dashboard')
  })

  // Everything below needs a session; every POST also its form token.
  r.use(async (req, res, next) => {
    const cookie = cookies(req)[SESSION_COOKIE]
    const session = await service.sessions.authenticate(cookie)
    if (!session || !cookie) {
      const v = anonymousView(req, res)
      sendPage(res, 401, pages.messagePage(v, {title: v.t('signInTitle'), message: v.t('signInHelp'), signedIn: false, command: false}).replace('</section>', '<pre class="sms mono" dir="ltr">vcash dashboard</pre></section>'))
      return
    }
    const view = makeView(langOf(req, res), csrfToken(cookie), req.originalUrl)
    res.locals.signed = {session, cookie, view} satisfies Signed
    if (req.method === 'POST') {
      const origin = req.headers.origin
      const host = req.headers.host
      // Browsers send Origin on every POST (we keep Referrer-Policy at same-origin so it is not "null").
      const sameOrigin = origin === undefined || (origin !== 'null' && URL.canParse(origin) && new URL(origin).host === host)
      if (!sameOrigin || !csrfMatches(cookie, (req.body as Record<string, unknown> | undefined)?._csrf)) {
        sendPage(res, 403, pages.messagePage(view, {title: view.t('failed'), message: view.t('csrfFailed'), signedIn: true}))
        return
      }
    }
    next()
  })

  const signed = (res: Response): Signed => res.locals.signed as Signed
  const actor = (s: Signed) => `dashboard:${s.session.label}:${s.session.id}`
  const withCounts = async (v: View) => {
    const [held, unmatched] = await Promise.all([
      storage.listTransactions({status: 'AWAITING_APPROVAL', limit: 100}),
      storage.listTransactions({status: 'PENDING', limit: 100}),
    ])
    v.counts = {held: held.items.length, unmatched: unmatched.items.length}
    return v.counts
  }
  const flashOf = (req: Request, v: View) => pages.flash(v, str(req.query.done, 40) || undefined, undefined)

  /** A POST's failure shown as a page (its own message, escaped), not passed through the URL. */
  const act = (fn: (req: Request, res: Response, s: Signed) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
    const s = signed(res)
    try {
      await fn(req, res, s)
    } catch (error) {
      if (!(error instanceof VcashError)) return next(error)
      await withCounts(s.view)
      const back = backTo((req.body as Record<string, unknown>)?.back, '/dashboard')
      sendPage(res, error.http, pages.messagePage(s.view, {title: s.view.t('failed'), message: `${error.message}${error.suggestion ? ` ${error.suggestion}` : ''}`, signedIn: true}).replace('</section>', html`<p><a href="${back}">${s.view.t('back')}</a></p></section>`.value))
    }
  }

  r.post('/logout', async (_req, res) => {
    const s = signed(res)
    await service.sessions.signOut(s.session)
    res.append('set-cookie', `${SESSION_COOKIE}=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict`)
    sendPage(res, 200, pages.messagePage(s.view, {title: s.view.t('signOut'), message: s.view.t('signInHelp'), signedIn: false, command: false}).replace('</section>', '<pre class="sms mono" dir="ltr">vcash dashboard</pre></section>'))
  })

  // Live: a change in this process now; one made by another process (a CLI command) at the next poll.
  r.get('/events', (req, res) => {
    res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive'})
    res.write('retry: 5000\n\n')
    const send = (kind: string) => res.write(`event: change\ndata: ${JSON.stringify({kind})}\n\n`)
    let seen = storage.changesElsewhere?.() ?? 0
    const poll = setInterval(() => {
      const v = storage.changesElsewhere?.() ?? 0
      if (v !== seen) {
        seen = v
        send('elsewhere')
      }
    }, 2000)
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    o.live.on('change', send)
    req.on('close', () => {
      clearInterval(poll)
      clearInterval(ping)
      o.live.off('change', send)
    })
  })

  r.get('/', async (_req, res) => {
    const v = signed(res).view
    const at = now()
    const days = lastDays(at, 14)
    const [stores, counts, dayTotals, week, failed, retrying, recent] = await Promise.all([
      storage.listStores(),
      withCounts(v),
      Promise.all(days.map((d) => storage.transactionTotals(d.start, d.end))),
      storage.transactionTotals(cairoMidnight(weekStart(at)), days[days.length - 1]!.end),
      storage.listNotifications({state: 'failed', limit: 50}),
      storage.listNotifications({state: 'pending', limit: 50}),
      storage.listTransactions({limit: 8}),
    ])
    sendPage(res, 200, pages.overviewPage(v, {
      stores,
      today: dayTotals[dayTotals.length - 1]!,
      week,
      days: days.map((d, i) => ({date: d.date, amount: dayTotals[i]!.reduce((a, t) => a + t.amount, 0), count: dayTotals[i]!.reduce((a, t) => a + t.count, 0)})),
      held: counts.held,
      unmatched: counts.unmatched,
      failing: [...failed, ...retrying.filter((n) => n.lastError)],
      recent: recent.items,
    }))
  })

  r.get('/transactions', async (req, res) => {
    const v = signed(res).view
    const filters: pages.TxFilters = {status: str(req.query.status, 40), store: str(req.query.store, 64), since: str(req.query.since, 10), until: str(req.query.until, 10), q: str(req.query.q, 100)}
    const status = (pages.STATUSES as string[]).includes(filters.status ?? '') ? (filters.status as TransactionStatus) : undefined
    const [stores] = await Promise.all([storage.listStores(), withCounts(v)])
    const storeId = stores.some((s) => s.id === filters.store) ? filters.store : undefined
    const cursor = str(req.query.cursor, 100) || undefined
    const q = filters.q ?? ''
    if (/^tx_[A-Za-z0-9_-]+$/.test(q) && (await storage.getTransaction(q))) return res.redirect(303, `/dashboard/transactions/${q}`)
    const phone = q ? tryNormalisePhone(q) : null
    let items: TransactionRecord[]
    let next: string | null = null
    if (q && !phone) {
      // A wallet reference (phone-less transfers, InstaPay): looked up per store, no paging needed.
      const found = await Promise.all(stores.filter((s) => !storeId || s.id === storeId).map((s) => storage.byReference(s.id, q)))
      items = found.flat().filter((t) => !status || t.status === status).sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    } else {
      const page = await storage.listTransactions({
        storeId, status, phone: phone ?? undefined, cursor, limit: 50,
        since: isDate(filters.since) ? cairoMidnight(filters.since) : undefined,
        until: isDate(filters.until) ? cairoMidnight(addDays(filters.until, 1)) : undefined,
      })
      items = page.items
      next = page.nextCursor
    }
    sendPage(res, 200, pages.transactionsPage(v, {stores, items, next, filters, cursor, flash: flashOf(req, v)}))
  })

  r.get('/transactions/:id', async (req, res) => {
    const v = signed(res).view
    const [tx] = await Promise.all([service.requireTransaction(idOf(req)), withCounts(v)])
    const [store, sms, notifications, intentsFor] = await Promise.all([storage.getStore(tx.storeId), storage.getSms(tx.smsId), storage.listNotifications({transactionId: tx.id, limit: 50}), pendingIntentsFor(ctx, [tx])])
    sendPage(res, 200, pages.transactionPage(v, {tx, store, sms, notifications, flash: flashOf(req, v), intents: intentsFor(tx)}))
  })

  for (const kind of ['held', 'unmatched'] as const) {
    r.get(`/${kind}`, async (req, res) => {
      const v = signed(res).view
      const cursor = str(req.query.cursor, 100) || undefined
      const [stores, page] = await Promise.all([storage.listStores(), storage.listTransactions({status: kind === 'held' ? 'AWAITING_APPROVAL' : 'PENDING', cursor, limit: 50}), withCounts(v)])
      const intentsFor = kind === 'unmatched' ? await pendingIntentsFor(ctx, page.items) : undefined
      sendPage(res, 200, pages.queuePage(v, kind, {stores, items: page.items, next: page.nextCursor, cursor, flash: flashOf(req, v), intentsFor}))
    })
  }

  const decided = (res: Response, req: Request, id: string, done: string, fallback = `/dashboard/transactions/${id}`) => {
    ctx.onChange()
    o.live.emit('change', 'decision')
    res.redirect(303, `${backTo((req.body as Record<string, unknown>).back, fallback)}?done=${done}`)
  }

  dashboardIntentRoutes(r, ctx, {
    view: (res) => signed(res).view,
    actor: (res) => actor(signed(res)),
    withCounts,
    sendPage,
    flashOf,
    act: (fn) => act((req, res) => fn(req, res)),
    decided: (req, res, fallback, done) => decided(res, req, '', done, fallback),
    str,
    idOf,
  })

  r.post('/transactions/:id/approve', act(async (req, res, s) => {
    await service.approve(idOf(req), actor(s))
    decided(res, req, idOf(req), 'approved')
  }))

  r.post('/transactions/:id/reject', act(async (req, res, s) => {
    const reason = str((req.body as Record<string, unknown>).reason)
    if (!reason) throw new VcashError('invalid_input', 'say why you reject this payment', {http: 400, errors: [{field: 'reason', message: 'required'}]})
    await service.reject(idOf(req), actor(s), reason)
    decided(res, req, idOf(req), 'rejected')
  }))

  r.post('/transactions/:id/match', act(async (req, res, s) => {
    const b = req.body as Record<string, unknown>
    await service.match(idOf(req), {userName: str(b.user_name) || null, clientId: str(b.client_id, 64) || null}, actor(s))
    decided(res, req, idOf(req), 'matched')
  }))

  r.get('/deliveries', async (req, res) => {
    const v = signed(res).view
    const state = ['failed', 'pending', 'delivered'].includes(str(req.query.state, 20)) ? (str(req.query.state, 20) as NotificationRecord['state']) : undefined
    const [stores, items] = await Promise.all([storage.listStores(), storage.listNotifications({state, limit: 100}), withCounts(v)])
    sendPage(res, 200, pages.deliveriesPage(v, {stores, items, state, flash: flashOf(req, v)}))
  })

  r.get('/deliveries/:id', async (req, res) => {
    const v = signed(res).view
    const [n] = await Promise.all([requireCallback(storage, idOf(req)), withCounts(v)])
    sendPage(res, 200, pages.deliveryPage(v, {n, store: await storage.getStore(n.storeId), flash: flashOf(req, v)}))
  })

  r.post('/deliveries/:id/redeliver', act(async (req, res) => {
    await retryOne(storage, idOf(req), now())
    ctx.onChange()
    res.redirect(303, `/dashboard/deliveries/${idOf(req)}?done=redelivered`)
  }))

  r.post('/deliveries/:id/replay', act(async (req, res) => {
    const to = str((req.body as Record<string, unknown>).to, 2000) || undefined
    const result = await replayCallback(storage, idOf(req), {to, devOverride: o.devOverride, now})
    o.live.emit('change', 'delivery')
    res.redirect(303, `/dashboard/deliveries/${idOf(req)}?done=${result.delivered ? 'replayed' : 'replay_failed'}`)
  }))

  r.get('/stores', async (_req, res) => {
    const v = signed(res).view
    const [stores] = await Promise.all([storage.listStores(), withCounts(v)])
    sendPage(res, 200, pages.storesPage(v, {stores}))
  })

  r.get('/stores/:id', async (req, res) => {
    const v = signed(res).view
    const [store] = await Promise.all([service.requireStore(idOf(req)), withCounts(v)])
    sendPage(res, 200, pages.storePage(v, {store, flash: flashOf(req, v)}))
  })

  r.post('/stores/:id', act(async (req, res, s) => {
    const store = await service.requireStore(idOf(req))
    const b = req.body as Record<string, unknown>
    try {
      await service.updateStore(store.id, storePatch(b))
    } catch (error) {
      if (!(error instanceof VcashError) || !error.errors) throw error
      await withCounts(s.view)
      const errors: pages.FieldErrors = {}
      for (const e of error.errors) errors[formField(e.field)] ??= e.message
      const values: Record<string, string | boolean> = {}
      for (const [k, val] of Object.entries(b)) if (k !== '_csrf' && k !== 'whmcs_secret' && typeof val === 'string') values[k] = CHECKBOXES.has(k) ? true : val
      sendPage(res, 400, pages.storePage(s.view, {store, errors, values, flash: pages.flash(s.view, undefined, error.message)}))
      return
    }
    res.redirect(303, `/dashboard/stores/${store.id}?done=saved`)
  }))

  r.post('/stores/:id/rotate', act(async (req, res, s) => {
    const created = await service.rotateTokens(idOf(req))
    await withCounts(s.view)
    // Shown once, in this answer only: nothing keeps them but their hashes.
    sendPage(res, 200, pages.storePage(s.view, {store: created.store, flash: html``, tokens: {apiToken: created.apiToken, deviceToken: created.deviceToken}}))
  }))

  return r
}

const CHECKBOXES = new Set(['anti_spam', 'hold_first', 'hold_duplicates', 'require_token'])

/** The settings form's fields as a store settings patch; validation is the store's own (zod). */
function storePatch(b: Record<string, unknown>): Partial<StoreSettingsInput> {
  const kind = str(b.callback, 20)
  const url = str(b.callback_url, 2000)
  const callback = kind === 'get' || kind === 'webhook' ? {kind, url} : kind === 'whmcs' ? {kind, url, identifier: str(b.whmcs_identifier), secret: str(b.whmcs_secret, 500)} : {kind: 'none' as const}
  const int = (v: unknown) => (str(v, 20) === '' ? null : Number(str(v, 20)))
  const payTo = str(b.pay_to, 4000).split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.indexOf(':')
    return {provider: (i < 0 ? l : l.slice(0, i)).trim(), wallet: i < 0 ? '' : l.slice(i + 1).trim()}
  })
  return {
    name: str(b.name),
    callback: callback as StoreSettingsInput['callback'],
    rate: str(b.rate, 40),
    currencyLabel: str(b.currency_label, 40),
    antiSpam: {
      enabled: b.anti_spam === '1',
      amountOver: str(b.hold_over, 40) || null,
      firstPayment: b.hold_first === '1',
      failedChecksBefore: int(b.hold_failed),
      duplicatePending: b.hold_duplicates === '1',
    },
    payTo: payTo as StoreSettingsInput['payTo'],
    matchWindowMinutes: int(b.match_window) ?? Number.NaN,
    requireToken: b.require_token === '1',
    mode: (str(b.mode, 20) || 'production') as StoreSettingsInput['mode'],
  }
}

const FIELD_OF: Record<string, string> = {
  'callback.kind': 'callback', 'callback.url': 'callback_url', 'callback.identifier': 'whmcs_identifier', 'callback.secret': 'whmcs_secret',
  currencyLabel: 'currency_label', 'antiSpam.amountOver': 'hold_over', 'antiSpam.failedChecksBefore': 'hold_failed', matchWindowMinutes: 'match_window',
}

function formField(path: string): string {
  if (path.startsWith('payTo')) return 'pay_to'
  return FIELD_OF[path] ?? path
}
