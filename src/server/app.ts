import type {IncomingMessage, ServerResponse} from 'node:http'

import express, {type NextFunction, type Request, type Response} from 'express'

import type {VcashService} from '../app/service.js'
import {VcashError} from '../core/errors.js'
import {hashToken} from '../core/secrets.js'
import {compileTrust, errorBody, isDirectLoopback, sendJson} from './http-util.js'
import {type Logger, silentLogger} from './log.js'
import type {Metrics} from './metrics.js'
import {adminRoutes} from './routes/admin.js'
import {checkRoute} from './routes/check.js'
import {type CheckoutOptions, checkoutRoutes} from './routes/checkout.js'
import {type DashboardOptions, dashboardRoutes} from './routes/dashboard.js'
import {logFailure, type RouteContext} from './routes/context.js'
import {publicRoutes} from './routes/public.js'
import {intentRoutes} from './routes/intents.js'
import {forwarderRoutes, smsRoute} from './routes/sms.js'
import {transactionRoutes} from './routes/transactions.js'

export interface AppOptions {
  service: VcashService
  metrics: Metrics
  /** Token for the loopback admin API used by local tools while a server owns the data dir. */
  adminToken: string
  /** Proxies whose X-Forwarded-For we believe: IPs, CIDRs, proxy-addr's names; a list or comma-separated. */
  trustProxy: string | string[]
  /** Bearer token that lets a scraper that is not a direct loopback peer read /metrics. */
  metricsToken?: string | null
  log?: Logger
  /** Extra admin routes (the event stream, …), mounted under /admin after auth. */
  adminRouters?: express.Router[]
  /** Extra public routes. */
  routers?: express.Router[]
  onChange?: () => void
  /** The checkout page's claim limits (tests lower them). */
  checkout?: CheckoutOptions
  /** The operator's dashboard under /dashboard (absent: not served). */
  dashboard?: DashboardOptions
}

/**
 * The HTTP surface, one file per area under routes/. The two hot paths (payment_link_check
 * and POST /api/sms) are handled on plain node:http before express, which costs several
 * times more per request here; everything else goes through express.
 */
export function createRequestHandler(opts: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const ctx: RouteContext = {
    service: opts.service,
    storage: opts.service.storage,
    metrics: opts.metrics,
    trusted: compileTrust(opts.trustProxy),
    metricsTokenHash: opts.metricsToken ? hashToken(opts.metricsToken) : null,
    log: opts.log ?? silentLogger(),
    adminToken: opts.adminToken,
    onChange: opts.onChange ?? (() => {}),
  }
  const app = createExpressApp(ctx, opts)
  const check = checkRoute(ctx)
  const ingest = smsRoute(ctx)

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
      logFailure(ctx.log, e.status, error)
      if (!res.headersSent) sendJson(res, e.status, e.body, e.headers ?? {})
      opts.metrics.countRequest(isCheck ? 'check' : 'sms', e.status)
    }
    try {
      const p = isCheck ? check(req, res, new URL(path, 'http://x')) : ingest(req, res)
      p.then(() => opts.metrics.countRequest(isCheck ? 'check' : 'sms', res.statusCode), fail)
    } catch (error) {
      fail(error)
    }
  }
}

function createExpressApp(ctx: RouteContext, o: AppOptions): express.Express {
  const a = express()
  a.disable('x-powered-by')
  a.set('query parser', 'simple')
  // req.ip by proxy-addr with the same trust as the fast paths' clientIp.
  a.set('trust proxy', ctx.trusted)
  // nginx's `location /admin/` is case-sensitive; so are our routes, so /ADMIN/… is simply unknown.
  a.set('case sensitive routing', true)
  // The loopback admin API, in any spelling, is never served to a request a proxy relayed.
  a.use((req, _res, next) => {
    if (/^\/admin(?:[/?]|$)/i.test(req.url) && !isDirectLoopback(req)) throw new VcashError('not_found', 'no such endpoint; see /openapi.json', {http: 404})
    next()
  })
  a.use(publicRoutes(ctx))
  a.use(transactionRoutes(ctx))
  a.use(forwarderRoutes(ctx))
  a.use(intentRoutes(ctx))
  a.use(checkoutRoutes(ctx, o.checkout))
  for (const r of o.routers ?? []) a.use(r)
  a.use('/admin', adminRoutes(ctx, o.adminRouters ?? []))
  if (o.dashboard) a.use('/dashboard', dashboardRoutes(ctx, o.dashboard))

  a.use((_req, _res) => {
    throw new VcashError('not_found', 'no such endpoint; see /openapi.json', {http: 404})
  })
  a.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = errorBody(error)
    logFailure(ctx.log, e.status, error)
    res.status(e.status).set(e.headers ?? {}).json(e.body)
  })
  return a
}
