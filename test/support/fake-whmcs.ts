import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

/**
 * A WHMCS on loopback for tests: `POST /includes/api.php` with AddCredit, GetCredits and
 * GetClients, checked credentials, a client table and a credit ledger, and failure modes set
 * at runtime:
 *
 * - `normal`: answers at once.
 * - `slow`: applies the call on arrival and answers `delayMs` later (default 300).
 * - `down`: `how: 'refuse'` stops listening (connections are refused) until another mode is
 *   set; `how: '503'` answers 503 without applying anything.
 * - `drop-after-apply`: applies the call, then destroys the socket without answering.
 *
 * A mode can be limited to some actions (`actions: ['AddCredit']`); the others answer normally.
 */
export interface FakeClient {
  id: number
  firstname: string
  lastname: string
  email: string
  companyname?: string
  status?: 'Active' | 'Inactive' | 'Closed'
}

export interface FakeCredit {
  id: number
  date: string
  description: string
  amount: string
  relid: number
}

export interface FakeCall {
  at: number
  action: string
  /** The form as received, with the secret blanked out. */
  form: Record<string, string>
  mode: FakeMode
  /** Did the call change WHMCS (a credit added)? */
  applied: boolean
  /** What was answered (null: nothing, the socket was dropped or refused). */
  answer: {status: number; body: Record<string, unknown> | string} | null
}

export type FakeMode = 'normal' | 'slow' | 'down' | 'drop-after-apply'

export interface ModeOptions {
  /** slow: answer after this long (default 300 ms). */
  delayMs?: number
  /** down: refuse connections, or answer 503 (default 'refuse'). */
  how?: 'refuse' | '503'
  /** Only these actions get the mode; others answer normally. Default: all. */
  actions?: string[]
}

export interface FakeWhmcsOptions {
  identifier?: string
  secret?: string
  clients?: FakeClient[]
  /** When set, calls from other addresses get "Invalid IP <address>". */
  allowedIps?: string[]
  /** HTTP status for WHMCS's own errors (real WHMCS installs answer 200 or 403). Default 200. */
  errorStatus?: number
  /** How an empty list is rendered: `{"credit":[]}` (default) or `""` (older WHMCS). */
  emptyList?: 'object' | 'string'
}

export const FAKE_WHMCS_CREDENTIALS = {identifier: 'fake-identifier', secret: 'fake-Secret-0123456789'}

export class FakeWhmcs {
  readonly calls: FakeCall[] = []
  url = ''
  port = 0
  private server: http.Server | null = null
  private readonly sockets = new Set<Socket>()
  private readonly clients: FakeClient[]
  private readonly ledger = new Map<number, FakeCredit[]>()
  private nextCreditId = 1
  private mode: FakeMode = 'normal'
  private modeOpts: ModeOptions = {}
  private readonly o: Required<Omit<FakeWhmcsOptions, 'clients' | 'allowedIps'>> & {allowedIps: string[] | null}

  private constructor(opts: FakeWhmcsOptions) {
    this.clients = (opts.clients ?? []).map((c) => ({...c}))
    this.o = {
      identifier: opts.identifier ?? FAKE_WHMCS_CREDENTIALS.identifier,
      secret: opts.secret ?? FAKE_WHMCS_CREDENTIALS.secret,
      allowedIps: opts.allowedIps ?? null,
      errorStatus: opts.errorStatus ?? 200,
      emptyList: opts.emptyList ?? 'object',
    }
  }

  static async start(opts: FakeWhmcsOptions = {}): Promise<FakeWhmcs> {
    const f = new FakeWhmcs(opts)
    await f.listen(0)
    return f
  }

  /** What a WhmcsConfig pointing here looks like. */
  get config(): {url: string; identifier: string; secret: string} {
    return {url: this.url, identifier: this.o.identifier, secret: this.o.secret}
  }

  get addCreditCalls(): FakeCall[] {
    return this.calls.filter((c) => c.action === 'AddCredit')
  }

  credits(clientId: number | string): FakeCredit[] {
    return [...(this.ledger.get(Number(clientId)) ?? [])]
  }

  /** The client's credit balance, in cents. */
  balanceCents(clientId: number | string): number {
    return this.credits(clientId).reduce((s, c) => s + Math.round(Number(c.amount) * 100), 0)
  }

  addClient(c: FakeClient): void {
    this.clients.push({...c})
  }

  /** Put a credit in the ledger directly (an operator's manual credit, an earlier run). */
  seedCredit(clientId: number, credit: {description: string; amount: string; date?: string}): FakeCredit {
    return this.record(clientId, credit.description, credit.amount, credit.date)
  }

  async setMode(mode: FakeMode, opts: ModeOptions = {}): Promise<void> {
    const wasRefusing = this.refusing()
    this.mode = mode
    this.modeOpts = opts
    const refuse = this.refusing()
    if (refuse && !wasRefusing) await this.unlisten()
    if (!refuse && wasRefusing) await this.listen(this.port)
  }

  async close(): Promise<void> {
    await this.unlisten()
  }

  private refusing(): boolean {
    return this.mode === 'down' && (this.modeOpts.how ?? 'refuse') === 'refuse'
  }

  private async listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res))
    server.on('connection', (s) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
    this.url = `http://127.0.0.1:${this.port}`
  }

  private async unlisten(): Promise<void> {
    const s = this.server
    if (!s) return
    this.server = null
    for (const sock of this.sockets) sock.destroy()
    await new Promise<void>((r) => s.close(() => r()))
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method !== 'POST' || path !== '/includes/api.php') {
        res.writeHead(404, {'content-type': 'text/html'}).end('<h1>Not Found</h1>')
        return
      }
      const f = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      const form = Object.fromEntries(f)
      if ('secret' in form) form.secret = '[secret]'
      const action = f.get('action') ?? ''
      const mode = !this.modeOpts.actions || this.modeOpts.actions.some((a) => a.toLowerCase() === action.toLowerCase()) ? this.mode : 'normal'
      const call: FakeCall = {at: Date.now(), action, form, mode, applied: false, answer: null}
      this.calls.push(call)
      if (mode === 'down') {
        call.answer = {status: 503, body: '<h1>503 Service Unavailable</h1>'}
        res.writeHead(503, {'content-type': 'text/html'}).end(call.answer.body)
        return
      }
      const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
      const r = this.answer(f, ip)
      call.applied = r.applied
      if (mode === 'drop-after-apply') {
        req.socket.destroy()
        return
      }
      const send = () => {
        call.answer = {status: r.status, body: r.body}
        if (!res.destroyed) res.writeHead(r.status, {'content-type': 'application/json'}).end(JSON.stringify(r.body))
      }
      if (mode === 'slow') setTimeout(send, this.modeOpts.delayMs ?? 300)
      else send()
    })
  }

  /** WHMCS's own logic: credentials, then the action. */
  private answer(f: URLSearchParams, ip: string): {status: number; body: Record<string, unknown>; applied: boolean} {
    const error = (message: string) => ({status: this.o.errorStatus, body: {result: 'error', message}, applied: false})
    if (this.o.allowedIps && !this.o.allowedIps.includes(ip)) return error(`Invalid IP ${ip}`)
    if (f.get('identifier') !== this.o.identifier || f.get('secret') !== this.o.secret) return error('Authentication Failed')
    const action = (f.get('action') ?? '').toLowerCase()
    const ok = (body: Record<string, unknown>, applied = false) => ({status: 200, body: {result: 'success', ...body}, applied})
    if (action === 'addcredit') {
      const client = this.client(f.get('clientid'))
      if (!client) return error('Client ID Not Found')
      const amount = f.get('amount') ?? ''
      if (!/^-?\d+(\.\d+)?$/.test(amount)) return error('Amount is Required')
      this.record(client.id, f.get('description') ?? '', Number(amount).toFixed(2))
      return ok({newbalance: (this.balanceCents(client.id) / 100).toFixed(2)}, true)
    }
    if (action === 'getcredits') {
      const client = this.client(f.get('clientid'))
      if (!client) return error('Client ID Not Found')
      const list = this.credits(client.id)
      return ok({clientid: String(client.id), totalresults: list.length, credits: list.length === 0 && this.o.emptyList === 'string' ? '' : {credit: list}})
    }
    if (action === 'getclients') {
      // Like WHMCS: a partial match on names, company and e-mail.
      const q = (f.get('search') ?? '').toLowerCase()
      const all = this.clients.filter((c) => q === '' || [c.firstname, c.lastname, c.companyname ?? '', c.email].some((v) => v.toLowerCase().includes(q)))
      const start = Number(f.get('limitstart') ?? 0)
      const num = Number(f.get('limitnum') ?? 25)
      const page = all.slice(start, start + num).map((c) => ({id: c.id, firstname: c.firstname, lastname: c.lastname, companyname: c.companyname ?? '', email: c.email, datecreated: '2024-01-01', groupid: 0, status: c.status ?? 'Active'}))
      return ok({totalresults: all.length, startnumber: start, numreturned: page.length, clients: page.length === 0 && this.o.emptyList === 'string' ? '' : {client: page}})
    }
    return error(`Command Not Found`)
  }

  private client(id: string | null): FakeClient | undefined {
    return id && /^\d+$/.test(id) ? this.clients.find((c) => c.id === Number(id)) : undefined
  }

  private record(clientId: number, description: string, amount: string, date = new Date().toISOString().slice(0, 10)): FakeCredit {
    const credit = {id: this.nextCreditId++, date, description, amount, relid: 0}
    this.ledger.set(clientId, [...(this.ledger.get(clientId) ?? []), credit])
    return credit
  }
}
