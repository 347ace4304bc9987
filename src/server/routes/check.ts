import type {IncomingMessage, ServerResponse} from 'node:http'

import {z} from 'zod'

import {VcashError} from '../../core/errors.js'
import {parseLang} from '../../core/messages.js'
import type {StoreRecord} from '../../core/model.js'
import {tokenMatches} from '../../core/secrets.js'
import {validationError} from '../../core/store-settings.js'
import {bearer, clientIp, ipInList, parseAddressRanges, sendJson} from '../http-util.js'
import {maskPhone} from '../log.js'
import {queryObject, type RouteContext} from './context.js'

const checkSchema = z.object({
  phone: z.string().max(40).default(''),
  reference: z.string().max(64).optional(),
  payer_name: z.string().max(200).optional(),
  payer_address: z.string().max(80).optional(),
  amount: z.string().min(1, 'required').max(30),
  store_id: z.string().min(1, 'required').max(64),
  user_name: z.string().max(200).optional(),
  client_id: z.string().max(64).optional(),
  order_id: z.string().trim().min(1).max(128).optional(),
  lang: z.string().max(8).optional(),
  token: z.string().max(200).optional(),
})

function parseQuery(url: URL): z.infer<typeof checkSchema> {
  const parsed = checkSchema.safeParse(queryObject(url))
  if (!parsed.success) throw validationError(parsed.error)
  return parsed.data
}

/** `GET /api/payment_link_check` (contract §1, §3): the WHMCS module's and merchants' claim. */
export function checkRoute(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  // A store's allowlist parsed once per record version (records are replaced, never mutated).
  const allowlists = new WeakMap<StoreRecord, ReturnType<typeof parseAddressRanges>['ranges']>()
  const allowlistOf = (s: StoreRecord) => {
    let ranges = allowlists.get(s)
    if (!ranges) allowlists.set(s, (ranges = parseAddressRanges(s.allowIps).ranges))
    return ranges
  }

  return async (req, res, url) => {
    let q: z.infer<typeof checkSchema> | undefined
    const ip = clientIp(req, ctx.trusted)
    try {
      q = parseQuery(url)
      await claim(req, res, q, ip)
    } catch (error) {
      // A refused check is an outcome too (unknown store, allowlist, token): one line, then the error answer.
      const e = error as {code?: string}
      ctx.log.info({store: q?.store_id ?? url.searchParams.get('store_id')?.slice(0, 64), outcome: e.code ?? 'error', phone: maskPhone(q?.phone ?? url.searchParams.get('phone')), ip}, 'check')
      throw error
    }
  }

  async function claim(req: IncomingMessage, res: ServerResponse, q: z.infer<typeof checkSchema>, ip: string): Promise<void> {
    const lang = parseLang(q.lang)
    const store = await ctx.service.findStore(q.store_id)
    if (!store) throw new VcashError('store_not_found', lang === 'ar' ? 'متجر غير معروف.' : 'Unknown store.', {http: 404})
    if (store.allowIps.length > 0 && !ipInList(ip, allowlistOf(store))) {
      throw new VcashError('forbidden_ip', `calls from ${ip} are not allowed for this store`, {http: 403, suggestion: 'Add your server address to the store allowlist (vcash store set --allow-ip).'})
    }
    const token = bearer(req) ?? q.token ?? null
    if (store.requireToken && !(token && tokenMatches(token, store.apiTokenHash))) {
      throw new VcashError('unauthorized', 'a valid API token is required for this store', {http: 401, suggestion: 'Send Authorization: Bearer <api token> or ?token=.'})
    }
    const result = await ctx.service.check({storeId: store.id, phone: q.phone, reference: q.reference ?? null, payerName: q.payer_name || null, payerAddress: q.payer_address || null, amount: q.amount, userName: q.user_name || null, clientId: q.client_id || null, orderId: q.order_id ?? null, lang, ip})
    if (result.transaction) ctx.onChange()
    // Never the token; the phone masked. `tx` is what an operator looks up next.
    ctx.log.info({store: store.id, outcome: result.outcome, phone: maskPhone(q.phone), reference: q.reference ? true : undefined, amount: q.amount, tx: result.transaction?.id, ip}, 'check')
    sendJson(res, result.http, result.body, result.retryAfter ? {'retry-after': String(result.retryAfter)} : {})
  }
}
