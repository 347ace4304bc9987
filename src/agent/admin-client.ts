import {EXIT, VcashError} from '../core/errors.js'
import type {AdminInfo} from '../io/admin-info.js'


/**
 * The loopback admin API of a running server: only what lives in that process and not in
 * the ledger — `vcash listen`'s event stream and a dev server's clock. Everything else a
 * command does, it does on the ledger itself.
 */
export class AdminClient {
  constructor(readonly info: AdminInfo) {}

  async request<T>(method: string, p: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${this.info.url}/admin${p}`, {
        method,
        headers: {authorization: `Bearer ${this.info.token}`, ...(body === undefined ? {} : {'content-type': 'application/json'})},
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
    } catch (error) {
      throw new VcashError('server_unreachable', `the vcash server at ${this.info.url} owns this data dir but does not answer: ${(error as Error).message}`, {
        exit: EXIT.unavailable,
        suggestion: 'Check that it is healthy (curl its /healthz), or stop it and retry.',
      })
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>
    if (!res.ok) {
      throw new VcashError(String(json.code ?? 'server_error'), String(json.message ?? `server answered ${res.status}`), {
        http: res.status,
        exit: res.status >= 500 ? EXIT.unavailable : EXIT.usage,
        suggestion: typeof json.suggestion === 'string' ? json.suggestion : undefined,
      })
    }
    return json as T
  }
}
