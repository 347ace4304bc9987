import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface Caught {
  at: number
  method: string
  path: string
  query: string
  headers: Record<string, string>
  body: string
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
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        const [path, query = ''] = (req.url ?? '/').split(/\?(.*)/s)
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']))
        this.seen.push({at: Date.now(), method: req.method ?? '', path: path ?? '/', query, headers, body})
        if (path === '/whmcs/includes/api.php') res.writeHead(200, {'content-type': 'application/json'}).end('{"result":"success","newbalance":"0.00"}')
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
    await new Promise<void>((r) => s.close(() => r()))
    s.closeAllConnections()
  }
}
