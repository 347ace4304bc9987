/**
 * A protocol-level fake adb server: the host side of adb on a loopback port, enough for adb-ts
 * (host:version, host:devices[-l], host:track-devices[-l], host:transport:SERIAL, shell:…),
 * with scripted phones whose SMS inbox answers `content query` exactly as Android's
 * `content` tool prints it (no quoting, no escaping), plus plug/unplug and state changes.
 */
import {EventEmitter} from 'node:events'
import net from 'node:net'

export interface FakeSms {
  id: number
  address: string
  body: string
  /** ms since epoch: when the phone received it. */
  date: number
  dateSent: number | null
}

type Row = Record<string, string | number | null>

/** sh-like word splitting, enough for what vcash sends: spaces, "double" and 'single' quotes. */
export function shellWords(cmd: string): string[] {
  const words: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i] as string
    if (c === '"' || c === "'") {
      const end = cmd.indexOf(c, i + 1)
      if (end < 0) throw new Error(`unterminated quote in: ${cmd}`)
      cur += cmd.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (inWord) words.push(cur)
  return words
}

/** The phone: an SMS inbox behind `content query`, and a few other shell commands. */
export class FakePhone {
  readonly inbox: FakeSms[] = []
  /** Commands the phone ran, for assertions. */
  readonly commands: string[] = []
  /** When set, `content` prints this (as a provider error would) instead of rows. */
  providerError: string | null = null
  /** The screen lock, as `dumpsys deviceidle` prints it (Android 8+); null: an older phone that does not say. */
  locked: boolean | null = false
  private nextId = 1

  constructor(readonly model = 'Pixel_7') {}

  addSms(sms: {address: string; body: string; date?: number; dateSent?: number | null}): FakeSms {
    const row: FakeSms = {id: this.nextId++, address: sms.address, body: sms.body, date: sms.date ?? Date.now(), dateSent: sms.dateSent ?? null}
    this.inbox.push(row)
    return row
  }

  /** Deleting the newest row lets SQLite reuse its id, as the real provider does. */
  deleteSms(id: number): void {
    const i = this.inbox.findIndex((r) => r.id === id)
    if (i >= 0) this.inbox.splice(i, 1)
    this.nextId = Math.max(0, ...this.inbox.map((r) => r.id)) + 1
  }

  /** Runs a `shell:` service string; returns what the device would stream back. */
  shell(service: string): string {
    let cmd = service
    let failMarker: string | null = null
    // adb-ts sends `(CMD) || echo UUID`; the echo only runs when CMD fails.
    const wrapped = /^\((.*)\) \|\| echo (\S+)$/s.exec(cmd)
    if (wrapped) {
      cmd = wrapped[1] as string
      failMarker = wrapped[2] as string
    }
    this.commands.push(cmd)
    const {out, ok} = this.run(cmd)
    return ok || failMarker === null ? out : `${out}${failMarker}\n`
  }

  private run(cmd: string): {out: string; ok: boolean} {
    const words = shellWords(cmd)
    if (words[0] === 'echo') return {out: `${words.slice(1).join(' ')}\n`, ok: true}
    if (words[0] === 'getprop' && words[1] === 'ro.product.model') return {out: `${this.model}\n`, ok: true}
    if (words[0] === 'content' && words[1] === 'query') return {out: this.contentQuery(words.slice(2)), ok: true}
    // `dumpsys deviceidle | grep …`: the lines the grep keeps.
    if (words[0] === 'dumpsys' && words[1] === 'deviceidle') return {out: this.locked === null ? '' : `  mScreenOn=true\n  mScreenLocked=${this.locked}\n`, ok: this.locked !== null}
    return {out: `/system/bin/sh: ${words[0] ?? ''}: not found\n`, ok: false}
  }

  private contentQuery(args: string[]): string {
    const opt = (name: string): string | undefined => {
      const i = args.indexOf(name)
      return i >= 0 ? args[i + 1] : undefined
    }
    if (this.providerError !== null) return this.providerError
    const uri = opt('--uri')
    if (uri !== 'content://sms/inbox' && uri !== 'content://sms') {
      return `Error while accessing provider:${uri ?? ''}\njava.lang.IllegalArgumentException: Unknown URI ${uri ?? ''}\n`
    }
    const columns = (opt('--projection') ?? '_id:thread_id:address:date:date_sent:read:type:body').split(':')
    const where = opt('--where')
    const sort = opt('--sort') ?? '_id ASC'
    let rows: Row[] = this.inbox.map((r) => ({_id: r.id, address: r.address, body: r.body, date: r.date, date_sent: r.dateSent, thread_id: 1, read: 0, type: 1}))
    if (where) rows = rows.filter((r) => matches(r, where))
    const [sortCol = '_id', dir = 'ASC'] = sort.split(' ')
    rows.sort((a, b) => (Number(a[sortCol]) - Number(b[sortCol])) * (dir.toUpperCase() === 'DESC' ? -1 : 1))
    if (rows.length === 0) return 'No result found.\n'
    // Exactly Content.java: "Row: N " then "col=value" joined by ", ", println per row.
    return rows
      .map((r, i) => `Row: ${i} ${columns.map((c) => `${c}=${r[c] === null || r[c] === undefined ? 'NULL' : String(r[c])}`).join(', ')}\n`)
      .join('')
  }
}

function matches(row: Row, where: string): boolean {
  return where.split(/\s+AND\s+/i).every((cond) => {
    const m = /^\s*(\w+)\s*(>=|<=|=|>|<)\s*(-?\d+)\s*$/.exec(cond)
    if (!m) throw new Error(`fake phone: unsupported --where "${where}"`)
    const v = Number(row[m[1] as string])
    const n = Number(m[3])
    switch (m[2]) {
      case '>=':
        return v >= n
      case '<=':
        return v <= n
      case '>':
        return v > n
      case '<':
        return v < n
      default:
        return v === n
    }
  })
}

interface FakeDevice {
  serial: string
  state: string
  phone: FakePhone
  transportId: number
}

function frame(s: string | Buffer): Buffer {
  const data = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
  return Buffer.concat([Buffer.from(data.length.toString(16).padStart(4, '0').toUpperCase(), 'ascii'), data])
}

export class FakeAdbServer extends EventEmitter {
  private readonly server = net.createServer((socket) => this.handle(socket))
  private readonly devices = new Map<string, FakeDevice>()
  private readonly trackers = new Set<{socket: net.Socket; long: boolean}>()
  private readonly sockets = new Set<net.Socket>()
  private nextTransport = 1
  port = 0
  /** Every host request seen, for assertions. */
  readonly requests: string[] = []

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => resolve())
    })
    this.port = (this.server.address() as net.AddressInfo).port
    return this.port
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Plugs a phone in (or replugs one, keeping its inbox). */
  plug(serial: string, phone: FakePhone = new FakePhone(), state = 'device'): FakePhone {
    this.devices.set(serial, {serial, state, phone, transportId: this.nextTransport++})
    this.broadcast()
    return phone
  }

  unplug(serial: string): void {
    this.devices.delete(serial)
    this.broadcast()
  }

  setState(serial: string, state: string): void {
    const d = this.devices.get(serial)
    if (!d) throw new Error(`no device ${serial}`)
    d.state = state
    this.broadcast()
  }

  private list(long: boolean): string {
    return [...this.devices.values()]
      .map((d) => (long ? `${d.serial}\t${d.state} product:fake model:${d.phone.model} device:fake transport_id:${d.transportId}\n` : `${d.serial}\t${d.state}\n`))
      .join('')
  }

  private broadcast(): void {
    for (const t of this.trackers) t.socket.write(frame(this.list(t.long)))
  }

  private handle(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let buf = Buffer.alloc(0)
    let transport: FakeDevice | null = null
    let done = false
    socket.on('data', (chunk: Buffer) => {
      if (done) return
      buf = Buffer.concat([buf, chunk])
      while (!done && buf.length >= 4) {
        const len = Number.parseInt(buf.subarray(0, 4).toString('ascii'), 16)
        if (Number.isNaN(len) || buf.length < 4 + len) return
        const req = buf.subarray(4, 4 + len).toString('utf8')
        buf = buf.subarray(4 + len)
        this.requests.push(req)
        const result = this.request(socket, req, transport)
        if (result === 'end') done = true
        else if (result !== 'continue') transport = result
      }
    })
  }

  private fail(socket: net.Socket, message: string): 'end' {
    socket.end(Buffer.concat([Buffer.from('FAIL'), frame(message)]))
    return 'end'
  }

  private request(socket: net.Socket, req: string, transport: FakeDevice | null): FakeDevice | 'continue' | 'end' {
    if (req === 'host:version') {
      socket.end(Buffer.concat([Buffer.from('OKAY'), frame('0029')]))
      return 'end'
    }
    if (req === 'host:devices' || req === 'host:devices-l') {
      socket.end(Buffer.concat([Buffer.from('OKAY'), frame(this.list(req.endsWith('-l')))]))
      return 'end'
    }
    if (req === 'host:track-devices' || req === 'host:track-devices-l') {
      const t = {socket, long: req.endsWith('-l')}
      this.trackers.add(t)
      socket.on('close', () => this.trackers.delete(t))
      socket.write(Buffer.concat([Buffer.from('OKAY'), frame(this.list(t.long))]))
      return 'end'
    }
    if (req === 'host:kill') {
      socket.end('OKAY')
      void this.stop()
      return 'end'
    }
    if (req.startsWith('host:transport:')) {
      const d = this.devices.get(req.slice('host:transport:'.length))
      if (!d) return this.fail(socket, `device '${req.slice('host:transport:'.length)}' not found`)
      if (d.state === 'unauthorized') return this.fail(socket, 'device unauthorized.\nThis adb server\'s $ADB_VENDOR_KEYS is not set')
      if (d.state !== 'device') return this.fail(socket, `device ${d.state}`)
      socket.write('OKAY')
      return d
    }
    if (req.startsWith('shell:') && transport) {
      const out = transport.phone.shell(req.slice('shell:'.length))
      // A device unplugged between transport and shell drops the stream, as adb would.
      if (!this.devices.has(transport.serial)) {
        socket.destroy()
        return 'end'
      }
      socket.end(Buffer.concat([Buffer.from('OKAY'), Buffer.from(out, 'utf8')]))
      return 'end'
    }
    return this.fail(socket, `unknown host service '${req}'`)
  }
}
