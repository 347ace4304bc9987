/**
 * Flags shared by many commands, defined once (after Shopify's flags.ts). Each reads one
 * `VCASH_…` env var and normalises/rejects bad input in `parse`.
 */
import {Flags} from '@oclif/core'
import path from 'node:path'

export const DEFAULT_PORT = 8080

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
