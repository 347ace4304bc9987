/**
 * Which SMS are the same SMS (duplicates gate). The operator's reference when the receipt has
 * one; else the text itself, whose date makes two equal payments a minute apart different —
 * and when the text carries no date at all (e& money), the phone's receive time, which a
 * forwarder repeats when it re-sends the same SMS under a new id.
 */
import {createHash} from 'node:crypto'

import {flattenBody, smsFingerprint} from '../sms/parse.js'
import type {ParseResult} from '../sms/types.js'

export interface Fingerprints {
  /** What this SMS is stored under. */
  key: string
  /**
   * The key an earlier vcash stored the same SMS under, when it differs (a dateless receipt
   * stored before the receive time was part of its key): a stored SMS under it is this one
   * only if it was received at the same second.
   */
  legacy: string | null
}

/** Whole seconds: forwarders report the same receive time in ms or in s. */
function receivedSecond(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000)
}

export function smsFingerprints(storeId: string, parse: ParseResult, sender: string, body: string, deviceReceivedAt: string | null): Fingerprints {
  const legacy = smsFingerprint(storeId, parse, sender, body)
  if (parse.kind !== 'receive' || parse.reference !== null || parse.occurredAt !== null || deviceReceivedAt === null) return {key: legacy, legacy: null}
  const key = ['receipt-at', storeId, parse.provider, parse.amount, parse.senderPhone, parse.balance, flattenBody(body), receivedSecond(deviceReceivedAt)]
  return {key: createHash('sha256').update(JSON.stringify(key)).digest('hex'), legacy}
}

export function sameReceiveSecond(a: string, b: string): boolean {
  return receivedSecond(a) === receivedSecond(b)
}
