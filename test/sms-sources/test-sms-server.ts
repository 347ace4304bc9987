/**
 * A tiny real loopback server with the semantics of `POST /api/sms` (contract §2): device
 * token, 201 new / 200 already have (dedupe by sender + body) / 202 stored but ignored
 * (untrusted sender), 400 on a bad body. It can go down (closing its port) and come back.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {until} from '../support/until.js'

export interface ReceivedSms {
  sender: string
  body: string
  received_at: string
  status: number
  at: number
}

export class TestSmsServer {
  readonly received: ReceivedSms[] = []
  private readonly seen = new Set<string>()
  private server: http.Server | null = null
  port = 0
  /** Answer this status to everything while set (e.g. 503). */
  forceStatus: number | null = null
  /** While set, an SMS it returns an answer for is refused with that 4xx (after the token check). */
  refuse: ((sms: {sender: string; body: string}) => {status: number; code: string; message: string} | null) | null = null

  constructor(readonly token = 'vd_test_token') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Unique receipts the "server" holds. */
  get stored(): ReceivedSms[] {
    return this.received.filter((r) => r.status === 201 || r.status === 202)
  }

  async start(port = this.port): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res))
    server.keepAliveTimeout = 100
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    const s = this.server
    this.server = null
    if (!s) return
    await new Promise<void>((resolve) => {
      s.close(() => resolve())
      s.closeAllConnections()
    })
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/sms') return send(404, {status: false, code: 'not_found', message: 'not found'})
      if (this.forceStatus !== null) return send(this.forceStatus, {status: false, code: 'unavailable', message: 'try later'})
      if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, {status: false, code: 'unauthorized', message: 'device token required'})
      let b: Partial<ReceivedSms>
      try {
        b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<ReceivedSms>
      } catch {
        return send(400, {status: false, code: 'invalid_json', message: 'bad json'})
      }
      if (typeof b.sender !== 'string' || typeof b.body !== 'string' || b.body === '' || typeof b.received_at !== 'string' || Number.isNaN(Date.parse(b.received_at))) {
        return send(400, {status: false, code: 'invalid_input', message: 'sender, body, received_at required'})
      }
      const refusal = this.refuse?.({sender: b.sender, body: b.body})
      if (refusal) return send(refusal.status, {status: false, code: refusal.code, message: refusal.message})
      const key = `${b.sender}\u0000${b.body}`
      let status = 201
      if (this.seen.has(key)) status = 200
      else if (/^\+?\d+$/.test(b.sender)) status = 202
      this.seen.add(key)
      this.received.push({sender: b.sender, body: b.body, received_at: b.received_at, status, at: Date.now()})
      send(status, {status: true, outcome: status === 201 ? 'created' : status === 200 ? 'duplicate' : 'ignored'})
    })
  }
}

/** Polls `check` until it returns true or `ms` pass; every wait in these tests is bounded. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  await until(what, check, ms, 20)
}
