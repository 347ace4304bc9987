import {describe, expect, it} from 'vitest'

import {smsFingerprints} from '../../src/app/fingerprint.js'
import {ageHold, chainKey, chainVerdict, DEFAULT_GATES, isOwnAccount, receivingAccountOf, walletHold} from '../../src/core/gates.js'
import {smsFingerprint} from '../../src/sms/parse.js'
import type {ParsedReceipt} from '../../src/sms/types.js'

const now = new Date('2026-12-01T12:00:00Z')

describe('age gate', () => {
  it('holds at the limit plus a minute, not at the limit; the wallet\'s date wins over the receive time', () => {
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString()
    expect(ageHold(DEFAULT_GATES, {occurredAt: null, receivedAt: at(48 * 3_600_000)}, now)).toBeNull()
    expect(ageHold(DEFAULT_GATES, {occurredAt: null, receivedAt: at(48 * 3_600_000 + 60_000)}, now)?.gate).toBe('too_old')
    expect(ageHold(DEFAULT_GATES, {occurredAt: '2026-11-20T10:00:00+02:00', receivedAt: now.toISOString()}, now)?.why).toMatch(/the wallet dates it 2026-11-20T08:00:00.000Z, 11 d before/)
    expect(ageHold({...DEFAULT_GATES, receiptAgeLimitMinutes: null}, {occurredAt: '2020-01-01T00:00:00Z', receivedAt: now.toISOString()}, now)).toBeNull()
  })
})

describe('receiving wallets', () => {
  it('reads the wallet a Vodafone Cash receipt names, and a parser\'s account field first', () => {
    expect(receivingAccountOf({}, 'تم استلام مبلغ 5 جنيه من رقم 01000000001 على رقم محفظتك  ٠١٠٠٠٠٠٠٠٠٢.')).toBe('01000000002')
    expect(receivingAccountOf({accountLast4: '0130'}, 'تم إضافة تحويل لحظي لحسابكم رقم 0130')).toBe('0130')
    expect(receivingAccountOf({}, 'Received EGP3,050 from 00201100000017 to Mobile Account Number 3054.')).toBeNull()
  })

  it('matches phones exactly and account digits by their tail', () => {
    const payTo = [{provider: 'vodafone_cash' as const, wallet: '01000000009'}, {provider: 'instapay' as const, wallet: '120130'}]
    expect(isOwnAccount(payTo, '+201000000009')).toBe(true)
    expect(isOwnAccount(payTo, '01000000002')).toBe(false)
    expect(isOwnAccount(payTo, '0130')).toBe(true)
    expect(isOwnAccount(payTo, '6286')).toBe(false)
    expect(walletHold(DEFAULT_GATES, payTo, '6286')?.gate).toBe('foreign_wallet')
    expect(walletHold(DEFAULT_GATES, [], '6286')).toBeNull()
    expect(walletHold(DEFAULT_GATES, payTo, null)).toBeNull()
    expect(walletHold({...DEFAULT_GATES, holdForeignWallet: false}, payTo, '6286')).toBeNull()
  })
})

describe('balance chain', () => {
  it('verified, suspicious, or unknown', () => {
    const prev = {balance: 100_000, at: '2026-12-01T10:00:00.000Z'}
    expect(chainVerdict(prev, {amount: 5_000, balance: 105_000}).verdict).toBe('verified')
    expect(chainVerdict(prev, {amount: 5_000, balance: 999_900})).toMatchObject({verdict: 'suspicious', expected: 105_000})
    expect(chainVerdict(null, {amount: 5_000, balance: 105_000}).verdict).toBe('unknown')
    expect(chainVerdict(prev, {amount: 5_000, balance: null}).verdict).toBe('unknown')
  })

  it('one chain per wallet family, one per bank account', () => {
    expect(chainKey('vodafone', '01000000002', 'vfcash')).toBe('vodafone')
    expect(chainKey('bank', '********0130', 'cib')).toBe('bank:0130')
    expect(chainKey('bank', null, 'cib')).toBe('bank:cib')
  })
})

describe('fingerprints', () => {
  const dateless: ParsedReceipt = {kind: 'receive', provider: 'etisalat_cash', amount: 15_000, senderPhone: '01000000022', senderName: 'X', payerAddress: null, accountLast4: null, reference: null, balance: null, occurredAt: null, template: 'EA-R2'}
  const body = 'تم إيداع مبلغ 150.00 في حسابك بنجاح من رقم حساب 00201000000022'

  it('a dateless receipt is keyed by the phone\'s receive second; the old key is offered for what an earlier vcash stored', () => {
    const a = smsFingerprints('st', dateless, 'e& money', body, '2026-12-01T10:00:00.123Z')
    expect(smsFingerprints('st', dateless, 'e& money', body, '2026-12-01T10:00:00.999Z').key).toBe(a.key)
    expect(smsFingerprints('st', dateless, 'e& money', body, '2026-12-01T10:01:00.123Z').key).not.toBe(a.key)
    expect(a.legacy).toBe(smsFingerprint('st', dateless, 'e& money', body))
  })

  it('anything with a reference or a date in its text keeps the key it always had', () => {
    const withRef: ParsedReceipt = {...dateless, reference: '019146659820'}
    expect(smsFingerprints('st', withRef, 'VF-Cash', body, '2026-12-01T10:00:00Z')).toEqual({key: smsFingerprint('st', withRef, 'VF-Cash', body), legacy: null})
    const dated: ParsedReceipt = {...dateless, occurredAt: '2026-12-01T12:00:00+02:00'}
    expect(smsFingerprints('st', dated, 'e& money', body, '2026-12-01T10:00:00Z').legacy).toBeNull()
    expect(smsFingerprints('st', dateless, 'e& money', body, null)).toEqual({key: smsFingerprint('st', dateless, 'e& money', body), legacy: null})
  })
})
