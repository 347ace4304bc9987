import {createHash} from 'node:crypto'

/** A device's id, derived from its store and name: every path that reports it lands on one row. */
export function deviceId(storeId: string, name: string): string {
  return `dev_${createHash('sha256').update(`${storeId}\u0000${name}`).digest('base64url').slice(0, 16)}`
}
