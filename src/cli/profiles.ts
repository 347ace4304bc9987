/**
 * CLI profiles: named sets of defaults (server URL, store, tokens, data dir) kept in one JSON
 * file in the user's config dir, so `vcash sms tail` on the wallet phone's laptop needs no
 * flags. Precedence is flag > `VCASH_*` env > profile > built-in default (applied by
 * BaseCommand); this module only stores and validates. No oclif here.
 *
 * The file holds secrets (device and API tokens): it is written 0600 in a 0700 dir, through a
 * temp file renamed over the original (never half-written), and secret values never leave
 * this module unmasked except through `resolve()` for the command that uses them.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'

import {type Adapter, Low} from 'lowdb'
import {JSONFile} from 'lowdb/node'

import {EXIT, VcashError} from '../core/errors.js'
import {type FileLock, takeLock} from '../io/lock.js'

export const PROFILE_KEYS = ['server', 'store', 'device-token', 'api-token', 'data-dir'] as const
export type ProfileKey = (typeof PROFILE_KEYS)[number]
export type ProfileValues = Partial<Record<ProfileKey, string>>

export const DEFAULT_PROFILE = 'default'
export const PROFILES_FILE = 'profiles.json'

const SECRET_KEYS: ReadonlySet<ProfileKey> = new Set<ProfileKey>(['device-token', 'api-token'])

export const KEY_HELP: Record<ProfileKey, string> = {
  server: 'URL of a vcash server (http:// or https://)',
  store: 'store id (st_…)',
  'device-token': "the store's device token (vd_…), secret",
  'api-token': "the store's API token (vk_…), secret",
  'data-dir': 'directory of the embedded store (kept as an absolute path)',
}

export interface ProfilesData {
  version: 1
  profiles: Record<string, ProfileValues>
}

export function isProfileKey(key: string): key is ProfileKey {
  return (PROFILE_KEYS as readonly string[]).includes(key)
}

export function isSecretKey(key: ProfileKey): boolean {
  return SECRET_KEYS.has(key)
}

/** `vd_…****`: enough to tell which kind of token is set, nothing of the token itself. */
export function maskSecret(value: string): string {
  const m = /^([a-z]{1,8}_)/.exec(value)
  return `${m ? m[1] : ''}…****`
}

/** What may be shown for a key's value: secrets masked, the rest as stored. */
export function displayValue(key: ProfileKey, value: string): string {
  return isSecretKey(key) ? maskSecret(value) : value
}

export function validateProfileName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new VcashError('invalid_input', `profile name "${name.slice(0, 40)}" is not valid (letters, digits, _ . and -)`, {suggestion: 'e.g. --profile default or --profile prod'})
  }
  return name
}

/** An http(s) URL without credentials, normalised without a trailing slash. */
export function parseServerUrl(input: string, what = '--server'): string {
  let u: URL
  try {
    u = new URL(input.trim())
  } catch {
    throw new Error(`${what} "${input.slice(0, 80)}" is not a URL; use e.g. http://127.0.0.1:8080`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${what} must be an http:// or https:// URL`)
  if (u.username || u.password) throw new Error(`${what} must not carry a user name or password`)
  return u.toString().replace(/\/$/, '')
}

/**
 * Validate and normalise a value for `key`. Messages never include a secret's value.
 * Relative data dirs are resolved against `cwd` now: a profile is used from anywhere.
 */
export function normaliseValue(key: ProfileKey, raw: string, cwd = process.cwd()): string {
  const value = raw.trim()
  const bad = (message: string, suggestion: string) => new VcashError('invalid_input', `${key}: ${message}`, {suggestion, errors: [{field: key, message}]})
  switch (key) {
    case 'server':
      try {
        return parseServerUrl(value, 'server')
      } catch (error) {
        throw bad((error as Error).message.replace(/^server /, ''), 'e.g. vcash config set server https://pay.example.com')
      }
    case 'store':
      if (!/^st_[A-Za-z0-9_-]{1,64}$/.test(value)) throw bad(`"${value.slice(0, 40)}" is not a store id`, 'Store ids look like st_… (see `vcash store list`).')
      return value
    case 'device-token':
      if (!/^vd_[A-Za-z0-9_-]{4,200}$/.test(value)) throw bad('is not a device token (they start with vd_)', 'Use the device token printed by `vcash store init` or the first `vcash serve`.')
      return value
    case 'api-token':
      if (!/^vk_[A-Za-z0-9_-]{4,200}$/.test(value)) throw bad('is not an API token (they start with vk_)', 'Use the API token printed by `vcash store init` or the first `vcash serve`.')
      return value
    case 'data-dir':
      if (!value) throw bad('must not be empty', 'e.g. vcash config set data-dir /var/lib/vcash')
      return path.resolve(cwd, value)
  }
}

/**
 * A lowdb adapter that reads like JSONFile but writes privately: a 0600 temp file in the same
 * dir, fsynced, renamed over the original. (lowdb's own writer leaves the file at the umask's
 * mode, typically 0644.)
 */
class PrivateJSONFile<T> implements Adapter<T> {
  readonly #reader: JSONFile<T>

  constructor(readonly file: string) {
    this.#reader = new JSONFile<T>(file)
  }

  async read(): Promise<T | null> {
    try {
      return await this.#reader.read()
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new VcashError('config_corrupt', `${this.file} is not valid JSON`, {exit: EXIT.config, suggestion: 'Fix or delete the file, then set the values again with `vcash config set`.'})
      }
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') {
        throw new VcashError('config_unreadable', `cannot read ${this.file} (${code})`, {exit: EXIT.config, suggestion: 'Check its owner and mode, or point VCASH_CONFIG_DIR at another dir.'})
      }
      throw error
    }
  }

  async write(data: T): Promise<void> {
    await writePrivateFile(this.file, `${JSON.stringify(data, null, 2)}\n`)
  }
}

export async function writePrivateFile(file: string, text: string): Promise<void> {
  const dir = path.dirname(file)
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`)
  const fh = await fsp.open(tmp, 'wx', 0o600)
  try {
    try {
      await fh.chmod(0o600)
      await fh.writeFile(text, 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await fsp.rename(tmp, file)
  } catch (error) {
    await fsp.rm(tmp, {force: true})
    throw error
  }
  // Make the rename itself durable; best effort (not every file system allows it).
  try {
    const d = await fsp.open(dir, 'r')
    try {
      await d.sync()
    } finally {
      await d.close()
    }
  } catch {
    // ignore
  }
}

/** Create the config dir 0700; tighten it when it is ours and group/world can read it. */
function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, {recursive: true, mode: 0o700})
  try {
    const st = fs.statSync(dir)
    const ours = typeof process.getuid !== 'function' || st.uid === process.getuid()
    if (ours && (st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700)
  } catch {
    // not ours or not supported: leave it
  }
}

function emptyData(): ProfilesData {
  return {version: 1, profiles: {}}
}

/** Open the profiles file and check `profile` exists (`default` always does, even when empty). */
export async function openProfile(configDir: string, profile: string): Promise<Profiles> {
  validateProfileName(profile)
  const p = await Profiles.open(configDir)
  if (profile !== DEFAULT_PROFILE && !p.has(profile)) {
    const known = p.names()
    throw new VcashError('profile_not_found', `there is no profile "${profile}" in ${p.file}`, {
      exit: EXIT.config,
      suggestion: `${known.length > 0 ? `Known profiles: ${known.join(', ')}. ` : ''}Create it with \`vcash config set <key> <value> --profile ${profile}\`.`,
    })
  }
  return p
}

export class Profiles {
  private constructor(
    readonly file: string,
    private readonly db: Low<ProfilesData>,
  ) {}

  /** Open (without creating) the profiles file in `configDir`. */
  static async open(configDir: string): Promise<Profiles> {
    const file = path.join(configDir, PROFILES_FILE)
    // Not JSONFilePreset: under NODE_ENV=test it keeps data in memory and never writes.
    const db = new Low<ProfilesData>(new PrivateJSONFile<ProfilesData>(file), emptyData())
    await db.read()
    checkShape(file, db.data)
    return new Profiles(file, db)
  }

  names(): string[] {
    return Object.keys(this.db.data.profiles).sort()
  }

  has(profile: string): boolean {
    return Object.hasOwn(this.db.data.profiles, profile)
  }

  /** The raw values of a profile (secrets included): for applying them, never for printing. */
  resolve(profile: string): ProfileValues {
    const values = this.has(profile) ? this.db.data.profiles[profile]! : {}
    const out: ProfileValues = {}
    for (const key of PROFILE_KEYS) if (typeof values[key] === 'string') out[key] = values[key]
    return out
  }

  /** The profile's values as they may be shown: secrets masked. */
  display(profile: string): ProfileValues {
    const out: ProfileValues = {}
    for (const [key, value] of Object.entries(this.resolve(profile)) as [ProfileKey, string][]) out[key] = displayValue(key, value)
    return out
  }

  async set(profile: string, key: ProfileKey, raw: string, cwd?: string): Promise<string> {
    validateProfileName(profile)
    const value = normaliseValue(key, raw, cwd)
    await this.update(() => {
      const profiles = this.db.data.profiles
      profiles[profile] = {...profiles[profile], [key]: value}
      return true
    })
    return value
  }

  /** Remove a key; an emptied profile other than `default` is removed too. True when something was removed. */
  async unset(profile: string, key: ProfileKey): Promise<boolean> {
    return this.update(() => {
      const values = this.db.data.profiles[profile]
      if (!values || values[key] === undefined) return false
      delete values[key]
      if (Object.keys(values).length === 0 && profile !== DEFAULT_PROFILE) delete this.db.data.profiles[profile]
      return true
    })
  }

  /**
   * Read-modify-write under the profiles lock: re-read the file once the lock is ours, so two
   * `vcash config set` at once both land (lowdb itself has no lock, and each process would
   * otherwise write back the file as it read it, dropping the other's change).
   */
  private async update(change: () => boolean): Promise<boolean> {
    ensurePrivateDir(path.dirname(this.file))
    const lock = await waitForLock(`${this.file}.lock`)
    try {
      await this.db.read()
      checkShape(this.file, this.db.data)
      if (!change()) return false
      this.db.data.version = 1
      await this.db.write()
      return true
    } finally {
      lock.release()
    }
  }
}

/** Thrown by takeLock's `held` while another process writes: wait and retry. */
class LockHeld extends VcashError {
  constructor() {
    super('config_locked', 'the profiles file is being written by another vcash command', {exit: EXIT.cantCreate})
  }
}

/** Another `vcash config` holds the lock for a few milliseconds at most: wait for it (bounded). */
async function waitForLock(file: string, timeoutMs = 10_000): Promise<FileLock> {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      return takeLock(file, 'vcash config', {held: () => new LockHeld()})
    } catch (error) {
      if (!(error instanceof LockHeld) || Date.now() > end) {
        if (error instanceof LockHeld) throw new VcashError('config_locked', `${file} is held by another vcash command`, {exit: EXIT.cantCreate, suggestion: 'Retry; if it persists, delete the lock file when no vcash command is running.'})
        throw error
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20))
    }
  }
}

function checkShape(file: string, data: unknown): asserts data is ProfilesData {
  const d = data as Partial<ProfilesData> | null
  if (!d || typeof d !== 'object' || typeof d.profiles !== 'object' || d.profiles === null || Array.isArray(d.profiles)) {
    throw new VcashError('config_corrupt', `${file} is not a vcash profiles file`, {exit: EXIT.config, suggestion: 'Fix or delete the file, then set the values again with `vcash config set`.'})
  }
}
