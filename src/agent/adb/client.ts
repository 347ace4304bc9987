/**
 * The adb side of `vcash sms tail`: find or start the adb server, list and track devices, run
 * shell commands. adb-ts talks the host protocol; we never let it start the server itself
 * (with `adb` missing its auto-start crashes the process), we do it with a clear error.
 */
import {Client, type Tracker} from 'adb-ts'
import {execa} from 'execa'

import {EXIT, VcashError} from '../../core/errors.js'

export interface AdbOptions {
  /** adb server host (default from ADB_SERVER_SOCKET, else 127.0.0.1). */
  host?: string
  /** adb server port (default from ADB_SERVER_SOCKET / ANDROID_ADB_SERVER_PORT, else 5037). */
  port?: number
  /** The adb binary (default `adb` on PATH). */
  bin?: string
  /** Environment for a spawned `adb start-server` (tests point HOME at a temp dir). */
  env?: NodeJS.ProcessEnv
  /** Per shell-command timeout; a wedged USB link must not hang the tail forever. */
  shellTimeoutMs?: number
}

export type DeviceState = 'device' | 'unauthorized' | 'offline' | 'no permissions' | 'authorizing' | 'connecting' | 'recovery' | 'bootloader' | 'sideload' | 'host' | string

export interface AdbDevice {
  serial: string
  state: DeviceState
  model?: string
  product?: string
}

export const ADB_INSTALL_HINT =
  'Install Android platform-tools (https://developer.android.com/tools/releases/platform-tools) and put `adb` on your PATH, ' +
  'or on Debian/Ubuntu: `sudo apt-get install adb`. Then run `adb devices` once to check.'

export function resolveAdbAddress(opts: AdbOptions, env: NodeJS.ProcessEnv = process.env): {host: string; port: number} {
  let host = opts.host
  let port = opts.port
  // Same variables the adb client itself honours, so `vcash` and `adb devices` see one server.
  const socket = env.ADB_SERVER_SOCKET
  const m = socket ? /^tcp:(?:(.+):)?(\d+)$/.exec(socket) : null
  if (m) {
    host ??= m[1]
    port ??= Number(m[2])
  }
  if (port === undefined && env.ANDROID_ADB_SERVER_PORT && /^\d+$/.test(env.ANDROID_ADB_SERVER_PORT)) port = Number(env.ANDROID_ADB_SERVER_PORT)
  return {host: host ?? '127.0.0.1', port: port ?? 5037}
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

function errCode(error: unknown): string | undefined {
  return (error as {code?: string} | null)?.code
}

export class AdbHost {
  readonly client: Client
  readonly host: string
  readonly port: number
  private readonly bin: string
  private readonly env: NodeJS.ProcessEnv | undefined
  private readonly shellTimeoutMs: number

  constructor(opts: AdbOptions = {}) {
    const {host, port} = resolveAdbAddress(opts)
    this.host = host
    this.port = port
    this.bin = opts.bin ?? 'adb'
    this.env = opts.env
    this.shellTimeoutMs = opts.shellTimeoutMs ?? 30_000
    this.client = new Client({host, port, bin: this.bin, noAutoStart: true})
  }

  /** Makes sure an adb server answers, starting one (`adb start-server`) when none listens here. */
  async ensureServer(): Promise<void> {
    try {
      await this.client.version()
      return
    } catch (error) {
      if (errCode(error) !== 'ECONNREFUSED') throw this.unreachable(error)
    }
    if (!isLoopback(this.host)) throw this.unreachable(new Error(`nothing listens on ${this.host}:${this.port}`))
    try {
      await execa(this.bin, ['-P', String(this.port), 'start-server'], {
        env: this.env,
        extendEnv: this.env === undefined,
        timeout: 30_000,
        stdin: 'ignore',
      })
    } catch (error) {
      if (errCode(error) === 'ENOENT') {
        throw new VcashError('adb_not_found', 'The `adb` program is not installed (or not on your PATH); vcash needs it to read SMS from a phone over USB.', {
          suggestion: ADB_INSTALL_HINT,
          exit: EXIT.unavailable,
          cause: error,
        })
      }
      const detail = (error as {stderr?: string; shortMessage?: string}).stderr || (error as Error).message
      throw new VcashError('adb_unavailable', `Could not start the adb server on port ${this.port}: ${String(detail).trim().slice(0, 300)}`, {
        suggestion: 'Run `adb kill-server` and try again; if another program holds the port, pass a different one with ADB_SERVER_SOCKET=tcp:127.0.0.1:PORT.',
        exit: EXIT.unavailable,
        cause: error,
      })
    }
    try {
      await this.client.version()
    } catch (error) {
      throw this.unreachable(error)
    }
  }

  private unreachable(cause: unknown): VcashError {
    return new VcashError('adb_unavailable', `The adb server at ${this.host}:${this.port} is not reachable: ${(cause as Error)?.message ?? String(cause)}`, {
      suggestion: 'Check that `adb devices` works from this shell, or set ADB_SERVER_SOCKET=tcp:HOST:PORT to the right server.',
      exit: EXIT.unavailable,
      cause,
    })
  }

  async devices(): Promise<AdbDevice[]> {
    const list = await this.client.listDevices()
    return list.map((d) => toAdbDevice(d))
  }

  track(): Promise<Tracker> {
    return this.client.trackDevices()
  }

  /** One shell command with a timeout; output is stdout+stderr as the legacy `shell:` service gives it. */
  async shell(serial: string, command: string): Promise<string> {
    if (!/^[\x20-\x7e]*$/.test(command)) throw new TypeError('adb shell commands must be printable ASCII')
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new VcashError('adb_timeout', `The phone ${serial} did not answer within ${Math.round(this.shellTimeoutMs / 1000)} s.`, {exit: EXIT.unavailable})), this.shellTimeoutMs)
      timer.unref()
    })
    try {
      return await Promise.race([this.client.shell(serial, command), timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

export function toAdbDevice(d: {id: string; state: string; model?: string; product?: string}): AdbDevice {
  // adb-ts splits `no permissions (…udev…)` on spaces and calls emulators `emulator`.
  const state = d.state === 'emulator' ? 'device' : d.state === 'no' ? 'no permissions' : d.state
  const out: AdbDevice = {serial: d.id, state}
  if (d.model) out.model = d.model
  if (d.product) out.product = d.product
  return out
}
