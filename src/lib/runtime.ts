import fs from 'node:fs'
import path from 'node:path'

import {EXIT, VcashError} from './errors.js'
import {type BuildNotification, type ServiceEvent, VcashService} from './service.js'
import {acquireLock, type DataDirLock, lockOwner} from './storage/lock.js'
import {LowdbStorage} from './storage/lowdb-storage.js'

/**
 * Opening a data dir from a command: either this process owns it (takes the lock and
 * opens the store itself), or a running server owns it and we talk to its loopback admin
 * API. Never two writers on one file.
 */
export interface AdminInfo {
  url: string
  token: string
  pid: number
}

export function adminFile(dataDir: string): string {
  return path.join(dataDir, 'admin.json')
}

/** Written by the server with mode 0600: the CLI's key to the loopback admin API. */
export function writeAdminInfo(dataDir: string, info: AdminInfo): void {
  const file = adminFile(dataDir)
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(info), {mode: 0o600})
  fs.renameSync(tmp, file)
}

export function removeAdminInfo(dataDir: string): void {
  fs.rmSync(adminFile(dataDir), {force: true})
}

/** The running server that owns this data dir, if any. */
export function runningServer(dataDir: string): AdminInfo | null {
  const owner = lockOwner(dataDir)
  if (!owner || owner.holder !== 'server') return null
  try {
    const info = JSON.parse(fs.readFileSync(adminFile(dataDir), 'utf8')) as AdminInfo
    return info.pid === owner.pid ? info : null
  } catch {
    return null
  }
}

export interface LocalVcash {
  service: VcashService
  storage: LowdbStorage
  lock: DataDirLock
  close(): Promise<void>
}

export interface OpenLocalOptions {
  dataDir: string
  holder: string
  buildNotification?: BuildNotification
  onEvent?: (e: ServiceEvent) => void
  now?: () => Date
  /** Failed payment_link_check calls allowed per store and caller address per 10 minutes. */
  failedCheckLimit?: number
}

let defaultBuildNotification: BuildNotification | undefined

/** The notification builder wired by the notifications module at load time. */
export function setDefaultNotificationBuilder(fn: BuildNotification): void {
  defaultBuildNotification = fn
}

export async function openLocal(opts: OpenLocalOptions): Promise<LocalVcash> {
  const lock = acquireLock(opts.dataDir, opts.holder)
  try {
    const storage = new LowdbStorage({dataDir: opts.dataDir})
    await storage.open()
    const service = new VcashService({storage, buildNotification: opts.buildNotification ?? defaultBuildNotification, now: opts.now, onEvent: opts.onEvent, failedCheckLimit: opts.failedCheckLimit})
    return {
      service,
      storage,
      lock,
      async close() {
        try {
          await storage.close()
        } finally {
          lock.release()
        }
      },
    }
  } catch (error) {
    lock.release()
    throw error
  }
}

/** A small client for the admin API; errors come back as VcashError with the server's code. */
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
        errors: json.errors as {field: string; message: string}[] | undefined,
      })
    }
    return json as T
  }
}
