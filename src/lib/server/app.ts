import type {IncomingMessage, ServerResponse} from 'node:http'

import express, {type NextFunction, type Request, type Response} from 'express'
import {z} from 'zod'

import {VcashError} from '../errors.js'
import {parseLang} from '../messages.js'
import type {StoreRecord, TransactionStatus} from '../model.js'
import {tryNormalisePhone} from '../phone.js'
import {hashToken, tokenMatches} from '../secrets.js'
import type {VcashService} from '../service.js'
import {validationError} from '../store-config.js'
import {smsView, transactionView} from '../views.js'
import {fromHttpSms, fromSmsGateway, type SmsForward} from './forwarders.js'
import {bearer, clientIp, errorBody, ipInList, isLoopback, parseTrustedProxies, readBody, sendJson} from './http-util.js'
import type {Metrics} from './metrics.js'
import {openApiDocument} from './openapi.js'

export interface AppOptions {
  service: VcashService
  metrics: Metrics
  /** Token for the loopback admin API used by the CLI while a server owns the data dir. */
  adminToken: string
  /** Proxies whose X-Forwarded-For we believe (IPs/CIDRs). */
  trustProxy: string[]
  /** Extra admin routes (callbacks, …), mounted under /admin after auth. */
  adminRouters?: express.Router[]
  /** Extra public routes (forwarder adapters, …). */
  routers?: express.Router[]
  onChange?: () => void
}

const SMS_BODY_LIMIT = 64 * 1024

const smsSchema = z.object({
  sender: z.string().trim().min(1, 'the SMS sender id is required').max(64),
  body: z.string().min(1, 'the SMS text is required').max(10_000),
  received_at: z.iso.datetime({offset: true}).optional().nullable(),
}).strict()

const checkSchema = z.object({
  phone: z.string().max(40).default(''),
  reference: z.string().max(64).optional(),
  amount: z.string().min(1, 'required').max(30),
  store_id: z.string().min(1, 'required').max(64),
  user_name: z.string().max(200).optional(),
  client_id: z.string().max(64).optional(),
  order_id: z.string().trim().min(1).max(128).optional(),
  lang: z.string().max(8).optional(),
  token: z.string().max(200).optional(),
})

const STATUSES = ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED'] as const

const listSchema = z.object({
  status: z.enum(STATUSES).optional(),
  since: z.iso.datetime({offset: true}).optional(),
  until: z.iso.datetime({offset: true}).optional(),
  phone: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(200).optional(),
  store_id: z.string().max(64).optional(),
})

const decisionSchema = z.object({reason: z.string().trim().max(500).optional()}).strict()
const matchSchema = z.object({user_name: z.string().trim().min(1).max(200).optional(), client_id: z.string().trim().regex(/^\d{1,10}$/, 'digits').optional(), order_id: z.string().trim().min(1).max(128).optional()}).strict()

/** A fault outside vcash (503) is one line for the operator; a 500 is a bug, with its stack. */
function logFailure(status: number, error: unknown): void {
  if (status === 503) console.error(`vcash: ${(error as Error).message}`)
  else if (status >= 500) console.error('vcash: request failed:', error)
}

/** A single-valued query: repeated parameters are a client bug, not something to guess about. */
function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of url.searchParams) {
    if (k in out) throw new VcashError('invalid_input', `${k}: given more than once`, {http: 400, errors: [{field: k, message: 'given more than once'}]})
    out[k] = v
  }
  return out
}

/**
 * The HTTP surface. The two hot paths (payment_link_check and POST /api/sms) are handled
 * on plain node:http before express, which costs several times more per request here;
 * everything else goes through express.
 */
export function createRequestHandler(opts: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const {service} = opts
  const storage = service.storage
  const trusted = parseTrustedProxies(opts.trustProxy)
  const app = createExpressApp(opts)

  // A store's allowlist parsed once per record version (records are replaced, never mutated).
  const allowlists = new WeakMap<StoreRecord, ReturnType<typeof parseTrustedProxies>['ranges']>()
  const allowlistOf = (s: StoreRecord) => {
    let ranges = allowlists.get(s)
    if (!ranges) allowlists.set(s, (ranges = parseTrustedProxies(s.allowIps).ranges))
    return ranges
  }

  // Tokens are random and stored hashed: a lookup by hash reveals nothing a timing could use.
  const storeForApiToken = async (token: string | null): Promise<StoreRecord | undefined> => (token ? storage.findStoreByApiTokenHash(hashToken(token)) : undefined)

  const check = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const parsed = checkSchema.safeParse(queryObject(url))
    if (!parsed.success) throw validationError(parsed.error)
    const q = parsed.data
    const lang = parseLang(q.lang)
    const store = await service.findStore(q.store_id)
    if (!store) throw new VcashError('store_not_found', lang === 'ar' ? 'متجر غير معروف.' : 'Unknown store.', {http: 404})
    const ip = clientIp(req, trusted)
    if (store.allowIps.length > 0 && !ipInList(ip, allowlistOf(store))) {
      throw new VcashError('forbidden_ip', `calls from ${ip} are not allowed for this store`, {http: 403, suggestion: 'Add your server address to the store allowlist (vcash store set --allow-ip).'})
    }
    const token = bearer(req) ?? q.token ?? null
    if (store.requireToken && !(token && tokenMatches(token, store.apiTokenHash))) {
      throw new VcashError('unauthorized', 'a valid API token is required for this store', {http: 401, suggestion: 'Send Authorization: Bearer <api token> or ?token=.'})
    }
    const result = await service.check({storeId: store.id, phone: q.phone, reference: q.reference ?? null, amount: q.amount, userName: q.user_name || null, clientId: q.client_id || null, orderId: q.order_id ?? null, lang, ip})
    if (result.transaction) opts.onChange?.()
    sendJson(res, result.http, result.body, result.retryAfter ? {'retry-after': String(result.retryAfter)} : {})
  }

  const ingest = async (req: IncomingMessage, res: ServerResponse) => {
    const token = bearer(req)
    const store = token ? await storage.findStoreByDeviceTokenHash(hashToken(token)) : undefined
    if (!store) throw new VcashError('unauthorized', 'a valid device token is required', {http: 401, suggestion: 'Send Authorization: Bearer <device token> (printed by `vcash store init`).'})
    const ct = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(ct)) throw new VcashError('unsupported_media_type', 'send Content-Type: application/json', {http: 415})
    const raw = await readBody(req, SMS_BODY_LIMIT)
    let json: unknown
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new VcashError('invalid_json', 'request body is not valid JSON', {http: 400})
    }
    const parsed = smsSchema.safeParse(json)
    if (!parsed.success) throw validationError(parsed.error)
    const r = await service.ingestSms(store, {sender: parsed.data.sender, body: parsed.data.body, receivedAt: parsed.data.received_at ? new Date(parsed.data.received_at).toISOString() : null, source: 'api'})
    opts.onChange?.()
    const status = r.outcome === 'created' ? 201 : r.outcome === 'duplicate' ? 200 : 202
    sendJson(res, status, {status: true, outcome: r.outcome, sms: smsView(r.sms), transaction: r.transaction ? transactionView(r.transaction) : null, reason: r.parse.kind === 'ignored' ? r.parse.reason : null})
  }

  return (req, res) => {
    const path = req.url ?? '/'
    const isCheck = req.method === 'GET' && path.startsWith('/api/payment_link_check') && (path.length === 23 || path[23] === '?')
    const isSms = req.method === 'POST' && (path === '/api/sms' || path.startsWith('/api/sms?'))
    if (!isCheck && !isSms) {
      app(req as Request, res as Response)
      return
    }
    const fail = (error: unknown) => {
      const e = errorBody(error)
      logFailure(e.status, error)
      if (!res.headersSent) sendJson(res, e.status, e.body, e.headers ?? {})
      opts.metrics.countRequest(isCheck ? 'check' : 'sms', e.status)
    }
    try {
      const url = new URL(path, 'http://x')
      const p = isCheck ? check(req, res, url) : ingest(req, res)
      p.then(() => opts.metrics.countRequest(isCheck ? 'check' : 'sms', res.statusCode), fail)
    } catch (error) {
      fail(error)
    }
  }

  function createExpressApp(o: AppOptions): express.Express {
    const a = express()
    a.disable('x-powered-by')
    a.set('query parser', 'simple')
    const json = express.json({limit: '64kb', strict: true})

    // Liveness for a load balancer: is the ledger readable and writable? No counts (it is public behind a proxy).
    a.get('/healthz', async (_req, res) => {
      const fault = storage.writeFault()
      if (fault) {
        res.status(503).set('retry-after', '30').json({status: false, ok: false, code: 'storage_unavailable', message: `storage unavailable: ${fault}`})
        return
      }
      await storage.getStore('') // a read proves the ledger opens
      res.json({status: true, ok: true})
    })
    a.get('/metrics', async (_req, res) => {
      res.set('content-type', o.metrics.registry.contentType).send(await o.metrics.registry.metrics())
    })
    a.get('/openapi.json', (_req, res) => {
      res.json(openApiDocument())
    })

    // The WHMCS module's invoice page fetches this from the browser: open CORS, no secrets.
    a.options('/api/public/store/:storeId/rate', (_req, res) => {
      res.set({'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-max-age': '86400'}).status(204).end()
    })
    a.get('/api/public/store/:storeId/rate', async (req, res) => {
      res.set('access-control-allow-origin', '*')
      const store = await service.findStore(String(req.params.storeId))
      if (!store) throw new VcashError('store_not_found', 'Unknown store.', {http: 404})
      res.json({status: true, rate: store.rate, currency_label: store.currencyLabel})
    })

    const apiAuth = async (req: Request, _res: Response, next: NextFunction) => {
      const store = await storeForApiToken(bearer(req))
      if (!store) throw new VcashError('unauthorized', 'a valid API token is required', {http: 401, suggestion: 'Send Authorization: Bearer <the store API token>.'})
      ;(req as Request & {store: StoreRecord}).store = store
      next()
    }
    const storeOf = (req: Request) => (req as Request & {store: StoreRecord}).store

    a.get('/api/transactions', apiAuth, async (req, res) => {
      res.json(await listTransactions(req, storeOf(req).id))
    })
    a.get('/api/transactions/:id', apiAuth, async (req, res) => {
      res.json({status: true, transaction: transactionView(await service.requireTransaction(String(req.params.id), storeOf(req).id))})
    })
    a.post('/api/transactions/:id/:decision', apiAuth, json, async (req, res) => {
      res.json(await decide(req, `api:${clientIp(req, trusted)}`, storeOf(req).id))
    })
    // Forwarder apps: their Authorization header (httpSMS) or none (SMS Gateway) is theirs,
    // so the device token rides in the URL: POST /api/sms/<app>?token=<device token>.
    const raw = express.raw({type: () => true, limit: SMS_BODY_LIMIT})
    const forwarder = (app: 'smsgateway' | 'httpsms', read: (body: Buffer, req: Request, key: string | null) => SmsForward) =>
      a.post(`/api/sms/${app}`, raw, async (req, res) => {
        const token = typeof req.query.token === 'string' ? req.query.token : null
        const store = token ? await storage.findStoreByDeviceTokenHash(hashToken(token)) : undefined
        if (!store) throw new VcashError('unauthorized', 'a valid device token is required', {http: 401, suggestion: `Set the webhook URL in the app to …/api/sms/${app}?token=<device token>.`})
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        const sms = read(body, req, store.forwarderSigningKey ?? null)
        const r = await service.ingestSms(store, {sender: sms.sender, body: sms.body, receivedAt: sms.receivedAt, source: app})
        o.onChange?.()
        res.status(r.outcome === 'created' ? 201 : r.outcome === 'duplicate' ? 200 : 202).json({status: true, outcome: r.outcome, sms: smsView(r.sms), transaction: r.transaction ? transactionView(r.transaction) : null, reason: r.parse.kind === 'ignored' ? r.parse.reason : null})
      })
    forwarder('smsgateway', (body, req, key) => {
      // SMS Gateway for Android always signs; without the key we could not tell its requests from anyone's.
      if (!key) throw new VcashError('forwarder_key_missing', 'this store has no forwarder signing key', {http: 409, suggestion: 'Copy the signing key from the SMS Gateway app settings: vcash store set --forwarder-signing-key KEY.'})
      return fromSmsGateway(body, req.headers, key)
    })
    forwarder('httpsms', (body, req, key) => fromHttpSms(body, req.headers, key ? {signingKey: key} : {}))
    for (const r of o.routers ?? []) a.use(r)

    // --- admin API: loopback only, admin token from the data dir ---
    const admin = express.Router()
    admin.use((req, _res, next) => {
      const peer = req.socket.remoteAddress ?? ''
      if (!isLoopback(peer)) throw new VcashError('not_found', 'not found', {http: 404})
      const t = bearer(req)
      if (!t || !tokenMatches(t, hashToken(o.adminToken))) throw new VcashError('unauthorized', 'admin token required', {http: 401})
      next()
    })
        // The local agent (`vcash sms tail` with no --server) posts here: it holds no device token.
    admin.get('/stores', async (_req, res) => {
      res.json({status: true, stores: (await storage.listStores()).map((s) => ({id: s.id, name: s.name}))})
    })
    admin.post('/sms', json, async (req, res) => {
      const body = z.object({store_id: z.string().max(64).optional(), sender: z.string().min(1).max(64), body: z.string().min(1).max(10_000), received_at: z.iso.datetime({offset: true}).nullable().optional(), source: z.string().max(20).optional()}).safeParse(req.body)
      if (!body.success) throw validationError(body.error)
      const store = await service.resolveStore(body.data.store_id)
      const r = await service.ingestSms(store, {sender: body.data.sender, body: body.data.body, receivedAt: body.data.received_at ?? null, source: body.data.source ?? 'cli'})
      o.onChange?.()
      res.status(r.outcome === 'created' ? 201 : r.outcome === 'duplicate' ? 200 : 202).json({status: true, outcome: r.outcome, sms: smsView(r.sms), transaction: r.transaction ? transactionView(r.transaction) : null, reason: r.parse.kind === 'ignored' ? r.parse.reason : null})
    })
    for (const r of o.adminRouters ?? []) admin.use(r)
    a.use('/admin', admin)

    a.use((_req, _res) => {
      throw new VcashError('not_found', 'no such endpoint; see /openapi.json', {http: 404})
    })
    a.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = errorBody(error)
      logFailure(e.status, error)
      res.status(e.status).set(e.headers ?? {}).json(e.body)
    })
    return a
  }

  async function listTransactions(req: Request, storeId: string | undefined) {
    const parsed = listSchema.safeParse(req.query)
    if (!parsed.success) throw validationError(parsed.error)
    const q = parsed.data
    let phone: string | undefined
    if (q.phone !== undefined) {
      const p = tryNormalisePhone(q.phone)
      if (p === null) throw new VcashError('invalid_input', 'phone: not an Egyptian mobile number', {http: 400, errors: [{field: 'phone', message: 'not an Egyptian mobile number'}]})
      phone = p
    }
    const page = await storage.listTransactions({
      storeId: storeId ?? q.store_id,
      status: q.status as TransactionStatus | undefined,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      phone,
      limit: q.limit,
      cursor: q.cursor,
    })
    return {status: true, transactions: page.items.map(transactionView), next_cursor: page.nextCursor}
  }

  async function decide(req: Request, by: string, storeId?: string) {
    const decision = String(req.params.decision)
    if (decision === 'match') {
      const m = matchSchema.safeParse(req.body ?? {})
      if (!m.success) throw validationError(m.error)
      const tx = await service.match(String(req.params.id), {userName: m.data.user_name ?? null, clientId: m.data.client_id ?? null, orderId: m.data.order_id ?? null}, by, storeId)
      opts.onChange?.()
      return {status: true, transaction: transactionView(tx)}
    }
    if (decision !== 'approve' && decision !== 'reject') throw new VcashError('not_found', 'no such endpoint; use /approve, /reject or /match', {http: 404})
    const body = decisionSchema.safeParse(req.body ?? {})
    if (!body.success) throw validationError(body.error)
    const id = String(req.params.id)
    const tx = decision === 'approve' ? await service.approve(id, by, storeId) : await service.reject(id, by, body.data.reason ?? null, storeId)
    opts.onChange?.()
    return {status: true, transaction: transactionView(tx)}
  }
}
