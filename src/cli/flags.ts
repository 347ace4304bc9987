/**
 * Flags shared by many commands, defined once (after Shopify's flags.ts). Each reads one
 * `VCASH_…` env var and normalises/rejects bad input in `parse`.
 */
import {Args, Flags} from '@oclif/core'
import path from 'node:path'
import proxyAddr from 'proxy-addr'

import {parseDuration} from '../core/duration.js'
import {isSecretOptionFlag} from './errors.js'
import {DEFAULT_PROFILE, KEY_HELP, PROFILE_KEYS, type ProfileKey, validateProfileName} from './profiles.js'

export const DEFAULT_PORT = 8080

/**
 * Flags that fall back to the active CLI profile (`vcash config set …`) when neither the flag
 * nor its env var is given, keyed by that env var: precedence flag > env > profile > default.
 * BaseCommand applies it for every command, whatever the flag's summary or file.
 */
export const PROFILE_BACKED_ENV: Readonly<Record<string, ProfileKey>> = {
  VCASH_SERVER: 'server',
  VCASH_STORE: 'store',
  VCASH_DEVICE_TOKEN: 'device-token',
  VCASH_API_TOKEN: 'api-token',
  VCASH_DATA_DIR: 'data-dir',
}

/** Option flags whose values are secrets: never echoed in errors. */
export function isSecretFlag(name: string, flag: {type: string}): boolean {
  return isSecretOptionFlag(name, flag)
}

/** `--profile`, on every command (a base flag of BaseCommand). */
export const profile = Flags.string({
  summary: 'CLI profile to take --server, --store, tokens and --data-dir from (see `vcash config`).',
  env: 'VCASH_PROFILE',
  default: DEFAULT_PROFILE,
  helpGroup: 'GLOBAL',
  helpValue: 'NAME',
  async parse(input) {
    try {
      return validateProfileName(input)
    } catch (error) {
      throw new Error((error as Error).message)
    }
  },
})

/** The KEY argument of `vcash config get|set|unset`. */
export const profileKeyArg = Args.string({
  description: `One of: ${PROFILE_KEYS.map((k) => `${k} (${KEY_HELP[k]})`).join('; ')}.`,
  required: true,
  options: [...PROFILE_KEYS],
})

export const dataDir = Flags.string({
  summary: 'Directory holding the embedded store (created if missing).',
  env: 'VCASH_DATA_DIR',
  default: './.vcash',
  helpValue: 'DIR',
  async parse(input) {
    if (!input.trim()) throw new Error('--data-dir must not be empty')
    return path.resolve(input)
  },
})

/** `--database-url`: the ledger on PostgreSQL, shared by several instances, instead of the data dir's embedded store. */
export const databaseUrl = Flags.string({
  summary: 'PostgreSQL URL (postgres://user:pass@host:5432/db) to keep the ledger in, instead of the embedded store in --data-dir.',
  description: 'Several vcash instances can share one database. ?pool_max=N and ?statement_timeout=MS tune the connection pool (default 10 connections, 15000 ms); ?prepared_statements=off for a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode). A Unix socket: postgres://vcash@/vcash?host=/run/postgresql.',
  env: 'VCASH_DATABASE_URL',
  helpValue: 'URL',
  async parse(input) {
    if (!/^postgres(ql)?:\/\/./.test(input.trim())) throw new Error('--database-url must be a postgres:// or postgresql:// URL')
    return input.trim()
  },
})

export const server = Flags.string({
  summary: 'URL of a running vcash server (default: the local server that owns --data-dir, if any).',
  env: 'VCASH_SERVER',
  helpValue: 'URL',
  async parse(input) {
    let u: URL
    try {
      u = new URL(input)
    } catch {
      throw new Error(`--server "${input}" is not a URL; use e.g. http://127.0.0.1:${DEFAULT_PORT}`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('--server must be an http:// or https:// URL')
    return u.toString().replace(/\/$/, '')
  },
})

export const store = Flags.string({
  summary: 'Store id (default: the only store in the data dir).',
  env: 'VCASH_STORE',
  helpValue: 'STORE_ID',
  async parse(input) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(input)) throw new Error(`--store "${input.slice(0, 40)}" is not a store id (letters, digits, _ and -)`)
    return input
  },
})

/**
 * `--trust-proxy`: repeatable, or comma-separated (the only form the env var has). oclif hands
 * the env form to `parse` whole and returns it unsplit; BaseCommand splits it again
 * (`splitListFlags`), so both forms arrive as string[].
 */
export const trustProxy = Flags.string({
  summary: 'IP, CIDR or loopback/linklocal/uniquelocal: a reverse proxy whose X-Forwarded-For is trusted (repeatable, or comma-separated).',
  env: 'VCASH_TRUST_PROXY',
  multiple: true,
  delimiter: ',',
  default: [],
  helpValue: 'IP_OR_CIDR',
  async parse(input) {
    for (const part of input.split(',').map((s) => s.trim()).filter(Boolean)) {
      try {
        // The parser express's `trust proxy` uses, so what we accept is what it believes.
        proxyAddr.compile(part)
      } catch {
        throw new Error(`--trust-proxy "${part.slice(0, 60)}" is not an IP address, CIDR or proxy-addr name (e.g. 127.0.0.1, 10.0.0.0/8 or loopback)`)
      }
    }
    return input.trim()
  },
})

/**
 * oclif splits a `multiple` flag's `delimiter` only for command-line tokens; the value from its
 * env var arrives as one string. Split it the same way so both forms have one type.
 */
export function splitListFlags(defs: Record<string, {type: string; multiple?: boolean; delimiter?: string}>, values: Record<string, unknown>): void {
  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== 'option' || !def.multiple) continue
    const v = values[name]
    if (typeof v !== 'string') continue
    values[name] = def.delimiter
      ? v
          .split(def.delimiter)
          .map((s) => s.trim())
          .filter(Boolean)
      : [v]
  }
}

export const port = Flags.integer({
  summary: 'TCP port to listen on (0 picks a free one).',
  env: 'VCASH_PORT',
  default: DEFAULT_PORT,
  min: 0,
  max: 65_535,
})

export const host = Flags.string({
  summary: 'Address to listen on.',
  env: 'VCASH_HOST',
  default: '127.0.0.1',
})

/** The store settings flags shared by `store init` and `store set`. */
export const storeSettings = {
  name: Flags.string({summary: 'Store name, as you will recognise it.'}),
  callback: Flags.string({summary: 'How to notify your site on a completed payment.', options: ['none', 'get', 'whmcs', 'webhook']}),
  'callback-url': Flags.string({summary: 'URL for the get or webhook callback.', helpValue: 'URL'}),
  'whmcs-url': Flags.string({summary: 'Your WHMCS base URL (vcash appends /includes/api.php).', helpValue: 'URL'}),
  'whmcs-identifier': Flags.string({summary: 'WHMCS API credential identifier (role: Add/Remove Credit).', env: 'VCASH_WHMCS_IDENTIFIER'}),
  'whmcs-secret': Flags.string({summary: 'WHMCS API credential secret.', env: 'VCASH_WHMCS_SECRET'}),
  rate: Flags.string({summary: 'EGP per unit of your currency (1 for EGP prices, e.g. 50.50 for USD).'}),
  'currency-label': Flags.string({summary: 'Your currency label shown by the WHMCS module (e.g. EGP, USD, USDT).'}),
  'anti-spam': Flags.boolean({summary: 'Hold suspicious matches for your approval.', allowNo: true}),
  'hold-over': Flags.string({summary: 'Anti-spam: hold transfers above this amount (EGP; "off" to disable).', helpValue: 'AMOUNT'}),
  'hold-first-payment': Flags.boolean({summary: 'Anti-spam: hold a phone\'s first payment.', allowNo: true}),
  'hold-after-failed-checks': Flags.integer({summary: 'Anti-spam: hold when this many failed checks preceded the match (0 = off).', min: 0, max: 100}),
  'hold-duplicates': Flags.boolean({summary: 'Anti-spam: hold when two PENDING transfers share phone and amount.', allowNo: true}),
  'require-token': Flags.boolean({summary: 'Require the API token on payment_link_check (the WHMCS module sends none).', allowNo: true}),
  'allow-ip': Flags.string({summary: 'Only accept payment_link_check from this IP/CIDR (repeatable).', multiple: true}),
  'pay-to': Flags.string({summary: 'A wallet or account customers pay into, as provider:number (vodafone_cash:010…, instapay:name@instapay); repeatable; "off" clears.', helpValue: 'PROVIDER:WALLET', multiple: true}),
  'match-window': Flags.integer({summary: 'Minutes a transfer can be claimed after it arrives.', min: 1, max: 43_200}),
  'forwarder-signing-key': Flags.string({summary: 'Signing key set in your SMS forwarder app (SMS Gateway for Android, httpSMS); "off" to clear.', env: 'VCASH_FORWARDER_SIGNING_KEY'}),
  mode: Flags.string({summary: 'production: https callbacks to public addresses only; development: http://localhost allowed.', options: ['production', 'development']}),
  'receipt-age-limit': Flags.custom<number | null>({summary: 'Age gate: a receipt whose SMS is older than this when it arrives is never claimed automatically (e.g. 48h, 3d, 90m; "off" to disable; default 48h).', helpValue: 'DURATION', parse: async (input) => (input.trim().toLowerCase() === 'off' ? null : parseMinutes(input, '--receipt-age-limit'))})(),
  'hold-foreign-wallet': Flags.boolean({summary: 'Hold a receipt credited to a wallet or account that is not one of --pay-to (default on).', allowNo: true}),
  'balance-chain': Flags.string({summary: 'A receipt whose balance contradicts its wallet\'s balance chain: hold it for approval, only mark it, or do not check (default hold).', options: ['hold', 'mark', 'off']}),
  'allow-no-sender-id': Flags.boolean({summary: 'Accept SMS forwarded without a sender id (iOS Shortcuts); held for approval unless the balance chain verifies them (default off).', allowNo: true}),
  'device-silence-limit': Flags.custom<number>({summary: 'Report a device offline (device.offline) after this long without an SMS or heartbeat (e.g. 30m, 2h; default 30m).', helpValue: 'DURATION', parse: async (input) => parseMinutes(input, '--device-silence-limit')})(),
}

/** "90", "90m", "2h", "3d" → whole minutes (a bare number is minutes), by the one duration grammar. */
export function parseMinutes(input: string, flag: string): number {
  const bare = /^\s*\d{1,6}\s*$/.test(input)
  let ms: number
  try {
    ms = bare ? Number(input) * 60_000 : parseDuration(input)
  } catch {
    throw new Error(`${flag} is not a duration; use e.g. 30m, 2h or 3d`)
  }
  if (ms < 60_000 || ms % 60_000 !== 0) throw new Error(`${flag} is not a duration; use e.g. 30m, 2h or 3d`)
  return ms / 60_000
}

/** simulate transfer/run: a device token reads no store settings, so against --server alone the run is told the store's wallet. */
export const simulatePayTo = Flags.string({
  summary: 'The store\'s receiving wallet the simulated receipts are credited to, as PROVIDER:WALLET (repeatable). Needed with --server alone on a store with pay_to: a device token cannot read it, and a receipt naming another wallet is held by the receiving-wallet gate. Default: the store\'s pay_to where it can be read (a data dir), else a made-up wallet.',
  helpValue: 'PROVIDER:WALLET',
  multiple: true,
})
