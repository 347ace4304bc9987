import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface Caught {
  at: number
  method: string
  path: string
  query: string
  headers: Record<string, string>
  body: string
  /** What the fake WHMCS said when it refused the call (null: accepted, or not WHMCS). */
  refused: string | null
}

/** The run configures WHMCS credentials simulate/simulate; anything else is answered like WHMCS does. */
export const FAKE_WHMCS = {identifier: 'simulate', secret: 'simulate'}

function whmcsAnswer(form: string): Record<string, string> {
  const f = new URLSearchParams(form)
  if (f.get('identifier') !== FAKE_WHMCS.identifier || f.get('secret') !== FAKE_WHMCS.secret) return {result: 'error', message: 'Authentication Failed'}
  if (f.get('action') !== 'AddCredit') return {result: 'error', message: `Command Not Found: ${f.get('action') ?? ''}`}
  if (!f.get('clientid')) return {result: 'error', message: 'Client ID Not Found'}
  return {result: 'success', newbalance: f.get('amount') ?? '0.00'}
}

/**
 * The merchant's side during a simulation, on loopback: takes webhooks (/webhook), GET
 * callbacks (/get) and answers WHMCS AddCredit (/whmcs/includes/api.php) like WHMCS does.
 */
export class Catcher {
  readonly seen: Caught[] = []
  url = ''
  private server: http.Server | null = null

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      // Buffers, not strings per chunk: a chunk may end inside a multi-byte (Arabic) character,
      // and the signature covers the exact bytes.
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const [path, query = ''] = (req.url ?? '/').split(/\?(.*)/s)
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']))
        const whmcs = path === '/whmcs/includes/api.php' ? whmcsAnswer(body) : null
        this.seen.push({at: Date.now(), method: req.method ?? '', path: path ?? '/', query, headers, body, refused: whmcs && whmcs.result !== 'success' ? whmcs.message ?? whmcs.result ?? 'error' : null})
        if (whmcs) res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(whmcs))
        else res.writeHead(200, {'content-type': 'text/plain'}).end('ok')
      })
    })
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, '127.0.0.1', () => resolve())
    })
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    const s = this.server
    if (!s) return
    this.server = null
    // The dispatcher keeps connections alive: close them now rather than wait for its timeout.
    const closed = new Promise<void>((r) => s.close(() => r()))
    s.closeAllConnections()
    await closed
  }
}
