/** The file by which a running server tells local tools (listen, simulate, spool) where its loopback admin API is. */
import fs from 'node:fs'
import path from 'node:path'

import {lockOwner} from './lock.js'

/** Where a running server's loopback admin API is, and its key (`admin.json`, mode 0600). */
export interface AdminInfo {
  url: string
  token: string
  pid: number
}

export function adminFile(dataDir: string): string {
  return path.join(dataDir, 'admin.json')
}

/** Written by the server with mode 0600: `vcash listen`'s and `simulate`'s key to its loopback admin API. */
export function writeAdminInfo(dataDir: string, info: AdminInfo): void {
  const file = adminFile(dataDir)
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(info), {mode: 0o600})
  fs.renameSync(tmp, file)
}

export function removeAdminInfo(dataDir: string): void {
  fs.rmSync(adminFile(dataDir), {force: true})
}

/**
 * The running server that owns this data dir, if any. A server on the embedded store holds the
 * data dir's lock, and its admin.json counts only with that lock's pid. A server on a shared
 * PostgreSQL takes no lock (the database keeps instances apart), so its admin.json counts while
 * the process that wrote it lives.
 */
export function runningServer(dataDir: string): AdminInfo | null {
  const owner = lockOwner(dataDir)
  if (owner && owner.holder !== 'server') return null
  let info: AdminInfo
  try {
    info = JSON.parse(fs.readFileSync(adminFile(dataDir), 'utf8')) as AdminInfo
  } catch {
    return null
  }
  if (owner) return info.pid === owner.pid ? info : null
  return Number.isSafeInteger(info.pid) && info.pid > 0 && alive(info.pid) ? info : null
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
