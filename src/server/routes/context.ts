import type {ServerResponse} from 'node:http'

import type {IngestResult, VcashService} from '../../app/service.js'
import {VcashError} from '../../core/errors.js'
import {smsView, transactionView} from '../../core/views.js'
import type {Storage} from '../../storage/storage.js'
import {sendJson} from '../http-util.js'
import type {TrustProxy} from '../http-util.js'
import type {Logger} from '../log.js'
import type {Metrics} from '../metrics.js'

/** What every route file is given by app.ts. */
export interface RouteContext {
  service: VcashService
  storage: Storage
  metrics: Metrics
  /** Which peers' X-Forwarded-For is believed (the same function express's req.ip uses). */
  trusted: TrustProxy
  /** sha256 of the bearer token that opens /metrics to a scraper that is not a local peer, if any. */
  metricsTokenHash: string | null
  log: Logger
  /** Token for the loopback admin API used by local tools while a server owns the data dir. */
  adminToken: string
  onChange(): void
}

/** A fault outside vcash (503) is one line for the operator; a 500 is a bug, with its stack. */
export function logFailure(log: Logger, status: number, error: unknown): void {
  if (status === 503) log.error(`storage unavailable: ${(error as Error).message}`)
  else if (status >= 500) log.error({err: error}, 'request failed')
}

/** A single-valued query: repeated parameters are a client bug, not something to guess about. */
export function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of url.searchParams) {
    if (k in out) throw new VcashError('invalid_input', `${k}: given more than once`, {http: 400, errors: [{field: k, message: 'given more than once'}]})
    out[k] = v
  }
  return out
}

export const SMS_BODY_LIMIT = 64 * 1024

/** An ingested SMS, as every SMS endpoint answers it: 201 stored, 200 a duplicate, 202 kept but not a receipt. */
export function sendIngestResult(ctx: Pick<RouteContext, 'log'>, res: ServerResponse, r: IngestResult): void {
  // One line per SMS, never its text: the body is a customer's name, phone and balance.
  const p = r.parse
  ctx.log.info({store: r.sms.storeId, outcome: r.outcome, reason: p.kind === 'ignored' ? p.reason : undefined, provider: p.provider ?? undefined, template: p.kind === 'receive' ? p.template : undefined, source: r.sms.source, sms: r.sms.id, tx: r.transaction?.id}, 'sms ingested')
  const status = r.outcome === 'created' ? 201 : r.outcome === 'duplicate' ? 200 : 202
  sendJson(res, status, {status: true, outcome: r.outcome, sms: smsView(r.sms), transaction: r.transaction ? transactionView(r.transaction) : null, reason: r.parse.kind === 'ignored' ? r.parse.reason : null})
}
