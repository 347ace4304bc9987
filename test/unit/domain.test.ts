import {describe, expect, it} from 'vitest'

import {DEFAULT_ANTISPAM_RULES, trippedRules} from '../../src/core/antispam.js'
import {VcashError} from '../../src/core/errors.js'
import type {StoreRecord, TransactionRecord, TransactionStatus} from '../../src/core/model.js'
import {WindowCounter} from '../../src/core/rate-limit.js'
import {hashToken, tokenMatches} from '../../src/core/secrets.js'
import {parseStoreSettings} from '../../src/core/store-settings.js'
import {canTransition, transition} from '../../src/core/transactions.js'

const tx = (status: TransactionStatus, amount = 10_000): TransactionRecord => ({
  id: 'tx_1', storeId: 'st_1', status, provider: 'vodafone_cash', amount, senderPhone: '01012345678', senderName: null, reference: '1',
  balance: null, occurredAt: null, receivedAt: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  smsId: 'sms_1', userName: null, clientId: null, heldBy: [], audit: [], version: 1,
})

const store = (rules: Partial<StoreRecord['antiSpam']['rules']>, enabled = true) => ({antiSpam: {enabled, rules: {...DEFAULT_ANTISPAM_RULES, ...rules}}}) as StoreRecord

describe('transaction state machine (contract §4)', () => {
  const all: TransactionStatus[] = ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED']
  const allowed = new Set(['PENDING>COMPLETED', 'PENDING>AWAITING_APPROVAL', 'PENDING>EXPIRED', 'AWAITING_APPROVAL>COMPLETED', 'AWAITING_APPROVAL>REJECTED'])
  it.each(all.flatMap((from) => all.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}>${to}`))
    if (allowed.has(`${from}>${to}`)) {
      const before = tx(from)
      const after = transition(before, {to, by: 'cli', why: 'test', at: new Date('2026-01-02T00:00:00Z')})
      expect(after.status).toBe(to)
      expect(after.audit.at(-1)).toEqual({at: '2026-01-02T00:00:00.000Z', by: 'cli', from, to, why: 'test'})
      expect(before.status).toBe(from) // never mutated
    } else {
      expect(() => transition(tx(from), {to, by: 'cli', why: 'x', at: new Date()})).toThrow(VcashError)
    }
  })
})

describe('anti-spam rules', () => {
  const ctx = {tx: tx('PENDING', 500_000), phoneHasPaidBefore: true, recentFailedChecks: 0, otherPendingSameClaim: 0}
  it('trips nothing when off', () => {
    expect(trippedRules(store({amountOver: 1, firstPayment: true}, false), {...ctx, phoneHasPaidBefore: false})).toEqual([])
  })
  it('amount over a threshold is strict', () => {
    expect(trippedRules(store({amountOver: 500_000}), ctx)).toEqual([])
    expect(trippedRules(store({amountOver: 499_999}), ctx)).toEqual(['amount_over'])
  })
  it('first payment, failed checks, duplicate pending', () => {
    expect(trippedRules(store({firstPayment: true}), {...ctx, phoneHasPaidBefore: false})).toEqual(['first_payment'])
    expect(trippedRules(store({failedChecksBefore: 3}), {...ctx, recentFailedChecks: 2})).toEqual([])
    expect(trippedRules(store({failedChecksBefore: 3}), {...ctx, recentFailedChecks: 3})).toEqual(['failed_checks'])
    expect(trippedRules(store({duplicatePending: true}), {...ctx, otherPendingSameClaim: 1})).toEqual(['duplicate_pending'])
  })
})

describe('rate-limit window', () => {
  it('counts inside the window and forgets after it', () => {
    const w = new WindowCounter(1000)
    w.add('k', 0)
    w.add('k', 500)
    expect(w.count('k', 900)).toBe(2)
    expect(w.retryAfter('k', 900)).toBe(1)
    expect(w.count('k', 1200)).toBe(1)
    expect(w.count('k', 1600)).toBe(0)
  })

  it('stays bounded and keeps the newest keys when full of live keys (its cost is measured by npm run bench)', () => {
    const w = new WindowCounter(60_000, 1000)
    for (let i = 0; i < 5000; i++) w.add(`k${i}`, 1000)
    expect(w.count('k4999', 1000)).toBe(1)
    // The oldest were forgotten to make room; the newest are still counted.
    expect(w.count('k0', 1000)).toBe(0)
    let live = 0
    for (let i = 0; i < 5000; i++) live += w.count(`k${i}`, 1000)
    expect(live).toBeLessThanOrEqual(1000)
    expect(live).toBeGreaterThanOrEqual(900)
  })
})

describe('secrets', () => {
  it('stores only a hash and compares in constant time', () => {
    const h = hashToken('vk_secret')
    expect(h).not.toContain('secret')
    expect(tokenMatches('vk_secret', h)).toBe(true)
    expect(tokenMatches('vk_secreT', h)).toBe(false)
    expect(tokenMatches('', h)).toBe(false)
    expect(tokenMatches(null, h)).toBe(false)
  })
})

describe('store settings validation', () => {
  it('normalises the rate and WHMCS URL, defaults the rest', () => {
    const s = parseStoreSettings({name: ' Shop ', callback: {kind: 'whmcs', url: 'https://b.example.com/includes/api.php', identifier: 'i', secret: 's'}, rate: '50.5'})
    expect(s).toMatchObject({name: 'Shop', rate: '50.50', currencyLabel: 'EGP', requireToken: false, allowIps: [], matchWindowMinutes: 1440, callback: {url: 'https://b.example.com'}})
  })
  it('refuses an http callback URL in production mode, allows it in development', () => {
    expect(() => parseStoreSettings({name: 's', callback: {kind: 'webhook', url: 'http://localhost:9000/hook'}})).toThrow(/production mode sends only to https/)
    expect(parseStoreSettings({name: 's', callback: {kind: 'webhook', url: 'http://localhost:9000/hook'}, mode: 'development'}).mode).toBe('development')
  })

  it('reports every bad field', () => {
    try {
      parseStoreSettings({name: '', callback: {kind: 'get', url: 'javascript:alert(1)'}, rate: '0', allowIps: ['10.0.0.0/99']})
      expect.unreachable()
    } catch (error) {
      expect((error as VcashError).code).toBe('invalid_input')
      expect((error as VcashError).errors!.map((e) => e.field).sort()).toEqual(['allowIps.0', 'callback.url', 'name', 'rate'])
    }
  })
})

describe('receiving wallets (pay_to, contract §6)', () => {
  const base = {name: 'Shop', callback: {kind: 'none' as const}}
  it('normalises wallet phones and InstaPay addresses', () => {
    const s = parseStoreSettings({...base, payTo: [{provider: 'vodafone_cash', wallet: '+20 101 234 5678'}, {provider: 'instapay', wallet: 'Shop@InstaPay'}, {provider: 'instapay', wallet: '4321'}]})
    expect(s.payTo).toEqual([{provider: 'vodafone_cash', wallet: '01012345678'}, {provider: 'instapay', wallet: 'shop@instapay'}, {provider: 'instapay', wallet: '4321'}])
  })
  it('refuses a wallet that is not a phone, and an unknown provider', () => {
    expect(() => parseStoreSettings({...base, payTo: [{provider: 'vodafone_cash', wallet: 'shop@instapay'}]})).toThrow(/not an Egyptian mobile number/)
    expect(() => parseStoreSettings({...base, payTo: [{provider: 'paypal', wallet: '01012345678'}]})).toThrow(VcashError)
  })
  it('defaults to none', () => {
    expect(parseStoreSettings(base).payTo).toEqual([])
  })
})

describe('durations (one grammar for flags, scenarios and settings)', () => {
  it('reads units, compounds and a sign; refuses the rest without echoing it', async () => {
    const {parseDuration} = await import('../../src/core/duration.js')
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('-2d')).toBe(-172_800_000)
    expect(parseDuration('15min')).toBe(900_000)
    expect(() => parseDuration('soon-ish secret')).toThrow(/^not a duration/)
    try {
      parseDuration('whsec_abc')
    } catch (error) {
      expect((error as Error).message).not.toContain('whsec_')
    }
  })
})
