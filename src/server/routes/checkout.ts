import crypto from 'node:crypto'
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

import express, {type Request, type Response} from 'express'

import {CLAIM_GRACE_MS} from '../../app/intents.js'
import {VcashError} from '../../core/errors.js'
import {isFinal} from '../../core/intents.js'
import {type Lang, message} from '../../core/messages.js'
import type {IntentRecord, StoreRecord} from '../../core/model.js'
import {WindowCounter} from '../../core/rate-limit.js'
import {callbackUrl} from '../../notify/sign.js'
import {clientIp} from '../http-util.js'
import {renderCheckout, renderNotFound, screenOf} from '../web/checkout/render.js'
import type {RouteContext} from './context.js'
import {publicBase} from './intents.js'

const ID_RE = /^pi_[A-Za-z0-9_-]{8,64}$/
const ASSET_DIR = fileURLToPath(new URL('../web/checkout/', import.meta.url))
const ASSET_TYPES: Record<string, string> = {'checkout.css': 'text/css; charset=utf-8', 'checkout.js': 'text/javascript; charset=utf-8', 'embed.js': 'text/javascript; charset=utf-8'}

export interface CheckoutOptions {
  /** Claims per client address per 10 minutes (a page's claim may name anyone's phone: limit the guessing). */
  claimsPerIp?: number
  /** Claims per intent per 10 minutes. */
  claimsPerIntent?: number
  /** How often an open event stream looks at the intent. */
  streamPollMs?: number
}

interface Asset {
  body: Buffer
  type: string
  etag: string
}

/** The shipped files, read once: dist/server/web/checkout/ beside this module (the build copies them). */
function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>()
  for (const [name, type] of Object.entries(ASSET_TYPES)) {
    const body = fs.readFileSync(`${ASSET_DIR}${name}`)
    out.set(name, {body, type, etag: crypto.createHash('sha256').update(body).digest('base64url').slice(0, 16)})
  }
  return out
}

/** `?lang=` first, else the browser's Accept-Language (Arabic unless it prefers English). */
export function pickLang(query: unknown, accept: string | undefined): Lang {
  if (query === 'ar' || query === 'en') return query
  let best: Lang | null = null
  let bestQ = -1
  for (const part of (accept ?? '').split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';')
    const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1')
    const lang = tag?.startsWith('ar') ? 'ar' : tag?.startsWith('en') ? 'en' : null
    if (lang && q > bestQ) {
      best = lang
      bestQ = q
    }
  }
  return best ?? 'ar'
}

/** The claim form's token: bound to the intent and the store's signing secret, the same across restarts. */
export function claimToken(store: StoreRecord, intentId: string): string {
  return crypto.createHmac('sha256', store.signingSecret).update(`vcash-checkout-claim\0${intentId}`).digest('base64url')
}

/**
 * Where the page sends the customer: return_url with intent_id, order_id and status, signed like a
 * GET callback (hex HMAC-SHA256 of the query string before `&signature=`, under the store's signing
 * secret; docs/checkout.md). Null without a return_url.
 */
export function signedReturnUrl(store: StoreRecord, i: IntentRecord): string | null {
  if (!i.returnUrl) return null
  return callbackUrl(i.returnUrl, {intent_id: i.id, order_id: i.orderId, status: i.status}, store.signingSecret)
}

const CLAIM_ERRORS = {
  phone: {en: 'Enter the wallet number you paid from, e.g. 01012345678.', ar: 'اكتب رقم المحفظة التي حوّلت منها، مثل 01012345678.'},
  reference: {en: 'Enter the reference from your bank app (letters and digits).', ar: 'اكتب الرقم المرجعي من تطبيق البنك (حروف وأرقام).'},
  stale: {en: 'This page was out of date. Please try again.', ar: 'كانت الصفحة قديمة. برجاء المحاولة مرة أخرى.'},
} as const

/**
 * The customer's checkout page and what it calls (contract §6): `GET /pay/:id`, the claim form's
 * `POST /pay/:id/claim`, live status as server-sent events (`/events`) or JSON (`/status.json`),
 * the static files, and `/pay/embed.js` for merchants' sites.
 *
 * CSRF: the page has no session or cookie, so there is nothing of the customer's a forged request
 * could ride on; still, a claim must come from the page itself. Every form carries a token bound to
 * the intent (HMAC under the store's signing secret), and a browser's Origin, when sent, must be
 * this server's. Referrer-Policy same-origin makes the browser send it on our own POSTs.
 */
export function checkoutRoutes(ctx: RouteContext, opts: CheckoutOptions = {}): express.Router {
  const r = express.Router()
  const assets = loadAssets()
  const assetUrl = (name: string) => `/pay/assets/${name}?v=${assets.get(name)!.etag}`
  const urls = {css: assetUrl('checkout.css'), js: assetUrl('checkout.js')}
  const byIp = new WindowCounter(10 * 60_000)
  const byIntent = new WindowCounter(10 * 60_000)
  const perIp = opts.claimsPerIp ?? 30
  const perIntent = opts.claimsPerIntent ?? 10
  const pollMs = opts.streamPollMs ?? 1000
  let streams = 0

  const sendAsset = (name: string, req: Request, res: Response, maxAge: number) => {
    const a = assets.get(name)!
    res.set({'content-type': a.type, 'cache-control': `public, max-age=${maxAge}${maxAge > 3600 ? ', immutable' : ''}`, etag: `"${a.etag}"`, 'x-content-type-options': 'nosniff'})
    if (req.headers['if-none-match'] === `"${a.etag}"`) {
      res.status(304).end()
      return
    }
    res.send(a.body)
  }

  r.get('/pay/embed.js', (req, res) => sendAsset('embed.js', req, res, 3600))
  r.get('/pay/assets/:name', (req, res) => {
    const name = String(req.params.name)
    if (!assets.has(name) || name === 'embed.js') throw new VcashError('not_found', 'no such file', {http: 404})
    // Versioned URLs are immutable; an unversioned fetch gets a short life.
    sendAsset(name, req, res, req.query.v === assets.get(name)!.etag ? 31_536_000 : 300)
  })

  /** Security headers of every page; only an embedded page may be framed, and only by the return_url's site. */
  const pageHeaders = (res: Response, frameBy: string | null, started: bigint) => {
    res.set({
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors ${frameBy ? `'self' ${frameBy}` : '\'none\''}`,
      'referrer-policy': 'same-origin',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'content-type': 'text/html; charset=utf-8',
      'server-timing': `render;dur=${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(2)}`,
      ...(frameBy ? {} : {'x-frame-options': 'DENY'}),
    })
  }

  const load = async (id: string): Promise<{intent: IntentRecord; store: StoreRecord} | null> => {
    if (!ID_RE.test(id)) return null
    const intent = await ctx.storage.getIntent(id)
    if (!intent) return null
    const store = await ctx.service.findStore(intent.storeId)
    return store ? {intent, store} : null
  }

  const page = async (req: Request, res: Response, status: number, found: {intent: IntentRecord; store: StoreRecord}, started: bigint, extra: {error?: string | null; typedPhone?: string} = {}) => {
    const {intent, store} = found
    const lang = pickLang(req.query.lang, req.headers['accept-language'])
    const embed = req.query.embed === '1'
    const parentOrigin = intent.returnUrl ? new URL(intent.returnUrl).origin : null
    const {html} = renderCheckout({
      intent, storeName: store.name, payTo: store.payTo ?? [], lang, now: ctx.service.clock(), embed, csrf: claimToken(store, intent.id),
      returnUrl: signedReturnUrl(store, intent), parentOrigin, assets: urls, graceMs: CLAIM_GRACE_MS, ...extra,
    })
    pageHeaders(res, embed ? parentOrigin : null, started)
    res.status(status).send(html)
  }

  const notFound = (req: Request, res: Response, started: bigint) => {
    const html = renderNotFound(pickLang(req.query.lang, req.headers['accept-language']), urls)
    pageHeaders(res, null, started)
    res.status(404).send(html)
  }

  // Server-Timing measures the whole page: the ledger reads and the rendering.
  r.get('/pay/:id', async (req, res) => {
    const started = process.hrtime.bigint()
    const found = await load(String(req.params.id))
    if (!found) return notFound(req, res, started)
    await page(req, res, 200, found, started)
  })

  const statusOf = (i: IntentRecord) => ({status: i.status, screen: screenOf(i, ctx.service.clock(), CLAIM_GRACE_MS), version: i.version, expires_at: i.expiresAt})

  r.get('/pay/:id/status.json', async (req, res) => {
    const found = await load(String(req.params.id))
    if (!found) throw new VcashError('intent_not_found', 'no such payment', {http: 404})
    res.set('cache-control', 'no-store').json(statusOf(found.intent))
  })

  // Live status: the intent as read from the ledger every second (a CLI approval in another
  // process changes it too), sent when it changes; the stream ends once nothing more can happen.
  r.get('/pay/:id/events', async (req, res) => {
    const found = await load(String(req.params.id))
    if (!found) throw new VcashError('intent_not_found', 'no such payment', {http: 404})
    if (streams >= 2000) throw new VcashError('busy', 'too many open status streams; poll status.json', {http: 503})
    streams++
    res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no'})
    let last = ''
    let ticks = 0
    const send = (i: IntentRecord) => {
      const s = JSON.stringify(statusOf(i))
      if (s !== last) res.write(`event: status\ndata: ${s}\n\n`)
      else if (++ticks % 15 === 0) res.write(': ping\n\n')
      last = s
    }
    send(found.intent)
    let busy = false
    const timer = setInterval(() => {
      if (busy) return
      busy = true
      ctx.storage.getIntent(found.intent.id).then((i) => {
        if (i) send(i)
        if (!i || isFinal(i.status)) end()
      }, () => {}).finally(() => (busy = false))
    }, pollMs)
    // A browser reconnects by itself; a stream is not kept forever.
    const limit = setTimeout(() => end(), 10 * 60_000)
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      streams--
      clearInterval(timer)
      clearTimeout(limit)
      res.end()
    }
    req.on('close', end)
  })

  const form = express.urlencoded({extended: false, limit: '4kb', parameterLimit: 10})
  r.post('/pay/:id/claim', form, async (req, res) => {
    const started = process.hrtime.bigint()
    const wantsJson = (req.headers.accept ?? '').includes('application/json')
    const lang = pickLang(req.query.lang, req.headers['accept-language'])
    const found = await load(String(req.params.id))
    if (!found) {
      if (wantsJson) throw new VcashError('intent_not_found', 'no such payment', {http: 404})
      return notFound(req, res, started)
    }
    const body = (req.body ?? {}) as Record<string, unknown>
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).slice(0, 64) : '')
    const fail = async (http: number, code: string, text: string, headers: Record<string, string> = {}) => {
      res.set(headers)
      if (wantsJson) {
        res.status(http).json({status: false, code, message: text})
        return
      }
      await page(req, res, http, found, started, {error: text, typedPhone: str('phone')})
    }
    const origin = req.headers.origin
    const token = str('csrf')
    const expected = claimToken(found.store, found.intent.id)
    const tokenOk = token.length === expected.length && crypto.timingSafeEqual(Buffer.from(token), Buffer.from(expected))
    if (!tokenOk || (origin !== undefined && origin !== publicBase(req, ctx.trusted))) return fail(403, 'invalid_csrf', CLAIM_ERRORS.stale[lang])

    const now = ctx.service.clock().getTime()
    const ip = clientIp(req, ctx.trusted)
    if (byIp.count(ip, now) >= perIp || byIntent.count(found.intent.id, now) >= perIntent) {
      const wait = Math.max(byIp.retryAfter(ip, now), byIntent.retryAfter(found.intent.id, now))
      return fail(429, 'rate_limited', message('rate_limited', lang), {'retry-after': String(wait)})
    }
    byIp.add(ip, now)
    byIntent.add(found.intent.id, now)
    let outcome
    try {
      outcome = await ctx.service.claimIntent({intentId: found.intent.id, phone: str('phone'), reference: str('reference'), by: `page:${ip}`})
    } catch (error) {
      if (error instanceof VcashError && error.code === 'invalid_input') {
        const which = error.errors?.[0]?.field === 'reference' ? 'reference' : 'phone'
        return fail(400, 'invalid_input', CLAIM_ERRORS[which][lang])
      }
      throw error
    }
    if (outcome.outcome === 'paid' || outcome.outcome === 'awaiting_approval') ctx.onChange()
    if (wantsJson) {
      const {status: intentStatus, ...rest} = statusOf(outcome.intent)
      res.json({status: true, outcome: outcome.outcome, intent_status: intentStatus, ...rest})
      return
    }
    // Post/redirect/get: a reload does not claim again.
    res.redirect(303, `/pay/${found.intent.id}?lang=${lang}${req.query.embed === '1' ? '&embed=1' : ''}`)
  })
  return r
}
