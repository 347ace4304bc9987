import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {EXIT, VcashError} from '../core/errors.js'

/**
 * The one lock vcash uses (a server's data dir, an SMS reader's spool): a file created with
 * O_EXCL holding the owner's pid; a lock whose pid is gone (crash, SIGKILL) is stale and taken over.
 */
export interface LockInfo {
  pid: number
  host: string
  startedAt: string
  /** What holds it: `server` (vcash serve), `sms tail`, … */
  holder: string
}

export interface FileLock {
  readonly file: string
  release(): void
}

export function readLockFile(file: string): LockInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo
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

/** The live owner of a lock file, or null. */
export function liveOwner(file: string): LockInfo | null {
  const info = readLockFile(file)
  return info && info.host === os.hostname() && isAlive(info.pid) ? info : null
}

/**
 * Take `file`, or throw what `held` makes of its live owner. `unwritable` says what a lock that
 * cannot be created at all means for this caller.
 */
export function takeLock(file: string, holder: string, opts: {held: (owner: LockInfo) => VcashError; unwritable?: (error: Error) => VcashError}): FileLock {
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
          if (readLockFile(file)?.pid === process.pid) fs.rmSync(file, {force: true})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw opts.unwritable ? opts.unwritable(error as Error) : error
      const owner = readLockFile(file)
      if (owner && owner.pid !== process.pid && (owner.host !== os.hostname() || isAlive(owner.pid))) throw opts.held(owner)
      // Stale (its owner died without releasing it), unreadable, or our own from before.
      fs.rmSync(file, {force: true})
    }
  }
  throw new VcashError('locked', `could not take the lock ${file}`, {exit: EXIT.cantCreate, suggestion: 'Retry; if it persists, check what else writes to that directory.'})
}

// --- the data dir's lock: one server per data dir ---

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'vcash.lock')
}

/** The live owner of a data dir, or null. */
export function lockOwner(dataDir: string): LockInfo | null {
  return liveOwner(lockPath(dataDir))
}

export function acquireLock(dataDir: string, holder: string): FileLock {
  fs.mkdirSync(dataDir, {recursive: true, mode: 0o700})
  return takeLock(lockPath(dataDir), holder, {
    held: (owner) => new VcashError('data_dir_locked', `data dir ${dataDir} is in use by ${owner.holder === 'server' ? 'a vcash server' : 'another vcash command'} (pid ${owner.pid}, since ${owner.startedAt})`, {
      exit: EXIT.cantCreate,
      suggestion: owner.holder === 'server'
        ? 'Stop that server first, or use a different --data-dir. Other vcash commands work beside it.'
        : 'Wait for that command to finish, or use a different --data-dir.',
    }),
    unwritable: (error) => new VcashError('data_dir_unwritable', `cannot write to data dir ${dataDir}: ${error.message}`, {
      exit: EXIT.cantCreate,
      suggestion: 'Pass a writable --data-dir (or set VCASH_DATA_DIR).',
    }),
  })
}
