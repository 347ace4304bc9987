/**
 * A fake Android device speaking adb's device-side transport protocol over TCP, so Debian's
 * real `adb` server can `adb connect 127.0.0.1:PORT` to it and the whole chain
 * adb-ts → adb server → "phone" is real except the phone.
 *
 * Wire format (adb's protocol.txt): 24-byte little-endian header
 *   command, arg0, arg1, data_length, data_check (sum of payload bytes), magic (command ^ 0xffffffff)
 * then the payload. The host opens with CNXN; we answer CNXN with a `device::` banner (no AUTH:
 * an unsecured device, like an emulator). Each `OPEN(local, 0, "shell:…")` gets OKAY, the
 * output as WRTE chunks (each waiting for the host's OKAY: adb's flow control), then CLSE.
 */
import net from 'node:net'

import {FakePhone} from './fake-adb-server.js'

const CMD = {
  SYNC: 0x434e5953,
  CNXN: 0x4e584e43,
  AUTH: 0x48545541,
  OPEN: 0x4e45504f,
  OKAY: 0x59414b4f,
  CLSE: 0x45534c43,
  WRTE: 0x45545257,
  STLS: 0x534c5453,
} as const

const A_VERSION = 0x01000001
const MAX_PAYLOAD = 256 * 1024

interface Packet {
  command: number
  arg0: number
  arg1: number
  data: Buffer
}

export function encodePacket(command: number, arg0: number, arg1: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(24)
  let sum = 0
  for (const b of data) sum = (sum + b) >>> 0
  h.writeUInt32LE(command, 0)
  h.writeUInt32LE(arg0 >>> 0, 4)
  h.writeUInt32LE(arg1 >>> 0, 8)
  h.writeUInt32LE(data.length, 12)
  h.writeUInt32LE(sum, 16)
  h.writeUInt32LE((command ^ 0xffffffff) >>> 0, 20)
  return Buffer.concat([h, data])
}

interface Stream {
  localId: number
  remoteId: number
  chunks: Buffer[]
  waitingOkay: boolean
}

class Session {
  private buf = Buffer.alloc(0)
  private connected = false
  private maxData = 4096
  private nextId = 1
  private readonly streams = new Map<number, Stream>()

  constructor(
    private readonly socket: net.Socket,
    private readonly device: FakeAdbDevice,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d))
    socket.on('error', () => socket.destroy())
  }

  private send(command: number, arg0: number, arg1: number, data?: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(encodePacket(command, arg0, arg1, data))
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d])
    while (this.buf.length >= 24) {
      const len = this.buf.readUInt32LE(12)
      if (this.buf.length < 24 + len) return
      const p: Packet = {command: this.buf.readUInt32LE(0), arg0: this.buf.readUInt32LE(4), arg1: this.buf.readUInt32LE(8), data: this.buf.subarray(24, 24 + len)}
      this.buf = this.buf.subarray(24 + len)
      this.handle(p)
    }
  }

  private handle(p: Packet): void {
    switch (p.command) {
      case CMD.CNXN: {
        this.maxData = Math.min(p.arg1 || 4096, MAX_PAYLOAD)
        this.connected = true
        const banner = `device::ro.product.name=fakephone;ro.product.model=${this.device.phone.model};ro.product.device=fakephone;features=cmd\0`
        this.send(CMD.CNXN, A_VERSION, MAX_PAYLOAD, Buffer.from(banner))
        break
      }
      case CMD.OPEN: {
        if (!this.connected) return
        const service = p.data.toString('utf8').replace(/\0$/, '')
        this.device.services.push(service)
        const localId = this.nextId++
        if (!service.startsWith('shell:')) {
          this.send(CMD.CLSE, 0, p.arg0)
          return
        }
        const out = Buffer.from(this.device.phone.shell(service.slice('shell:'.length)), 'utf8')
        const chunks: Buffer[] = []
        for (let i = 0; i < out.length; i += this.maxData) chunks.push(out.subarray(i, i + this.maxData))
        const s: Stream = {localId, remoteId: p.arg0, chunks, waitingOkay: false}
        this.streams.set(localId, s)
        this.send(CMD.OKAY, localId, p.arg0)
        this.pump(s)
        break
      }
      case CMD.OKAY: {
        const s = this.streams.get(p.arg1)
        if (s) {
          s.waitingOkay = false
          this.pump(s)
        }
        break
      }
      case CMD.WRTE: {
        // Input to a shell we do not read: acknowledge so the host can go on.
        this.send(CMD.OKAY, p.arg1, p.arg0)
        break
      }
      case CMD.CLSE: {
        this.streams.delete(p.arg1)
        break
      }
      default:
        break
    }
  }

  private pump(s: Stream): void {
    if (s.waitingOkay || !this.streams.has(s.localId)) return
    const next = s.chunks.shift()
    if (next) {
      s.waitingOkay = true
      this.send(CMD.WRTE, s.localId, s.remoteId, next)
      return
    }
    this.streams.delete(s.localId)
    this.send(CMD.CLSE, s.localId, s.remoteId)
  }
}

export class FakeAdbDevice {
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()
  port = 0
  readonly services: string[] = []

  constructor(readonly phone: FakePhone = new FakePhone('FakePhone')) {}

  get serial(): string {
    return `127.0.0.1:${this.port}`
  }

  /** Starts listening (again, on the same port after `unplug`). */
  async plug(port = this.port): Promise<number> {
    const server = net.createServer((socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      new Session(socket, this)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as net.AddressInfo).port
    return this.port
  }

  /** Drops the link, as pulling the cable (or Wi-Fi) would. */
  async unplug(): Promise<void> {
    const s = this.server
    this.server = null
    for (const sock of this.sockets) sock.destroy()
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}
