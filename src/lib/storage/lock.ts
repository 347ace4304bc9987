import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {EXIT, VcashError} from '../errors.js'

/**
 * One process owns a data dir at a time. The lock is a file created with O_EXCL holding
 * the owner's pid; a lock whose pid is gone (crash, SIGKILL) is stale and taken over.
 */
export interface LockInfo {
  pid: number
  host: string
  startedAt: string
  /** What holds it: `server` (vcash serve) or a one-shot CLI command. */
  holder: string
}

export interface DataDirLock {
  readonly file: string
  release(): void
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'vcash.lock')
}

export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo
    return typeof info.pid === 'number' ? info : null
  } catch {
    return null
  }
}

export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The live owner of a data dir, or null. */
export function lockOwner(dataDir: string): LockInfo | null {
  const info = readLock(dataDir)
  return info && info.host === os.hostname() && isAlive(info.pid) ? info : null
}

export function acquireLock(dataDir: string, holder: string): DataDirLock {
  fs.mkdirSync(dataDir, {recursive: true, mode: 0o700})
  const file = lockPath(dataDir)
  const info: LockInfo = {pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), holder}
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600)
      fs.writeSync(fd, JSON.stringify(info))
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      let released = false
      return {
        file,
        release() {
          if (released) return
          released = true
          // Only remove a lock that is still ours.
          if (readLock(dataDir)?.pid === process.pid) fs.rmSync(file, {force: true})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new VcashError('data_dir_unwritable', `cannot write to data dir ${dataDir}: ${(error as Error).message}`, {
          exit: EXIT.cantCreate,
          suggestion: 'Pass a writable --data-dir (or set VCASH_DATA_DIR).',
        })
      }
      const owner = readLock(dataDir)
      if (owner && (owner.host !== os.hostname() || isAlive(owner.pid))) {
        throw new VcashError('data_dir_locked', `data dir ${dataDir} is in use by ${owner.holder === 'server' ? 'a vcash server' : 'another vcash command'} (pid ${owner.pid}, since ${owner.startedAt})`, {
          exit: EXIT.cantCreate,
          suggestion: owner.holder === 'server'
            ? 'Stop that server first, or use a different --data-dir. Other vcash commands talk to it automatically.'
            : 'Wait for that command to finish, or use a different --data-dir.',
        })
      }
      // Stale: its owner died without releasing it.
      fs.rmSync(file, {force: true})
    }
  }
  throw new VcashError('data_dir_locked', `could not take the lock on ${dataDir}`, {exit: EXIT.cantCreate, suggestion: 'Retry; if it persists, check what else writes to that directory.'})
}
