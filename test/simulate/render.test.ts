import crypto from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {PROVIDERS} from '../../src/core/model.js'
import {formatMoney} from '../../src/core/money.js'
import {LAYOUTS, layoutProvider, renderReceipt} from '../../src/simulate/render.js'
import {parseSms} from '../../src/sms/parse.js'

const PREFIXES = ['010', '011', '012', '015']

function randomPhone(): string {
  return `${PREFIXES[crypto.randomInt(0, 4)]}${String(crypto.randomInt(0, 100_000_000)).padStart(8, '0')}`
}

/** Whole amounts, small ones, piastres and big ones with thousands: every shape a wallet prints. */
function randomAmount(): number {
  switch (crypto.randomInt(0, 4)) {
    case 0: return crypto.randomInt(1, 100) * 100
    case 1: return crypto.randomInt(1, 1000)
    case 2: return crypto.randomInt(1, 10_000_000)
    default: return crypto.randomInt(100_000, 2_000_000) * 100
  }
}

describe('rendered receipts read back exactly (random inputs)', () => {
  it.each(LAYOUTS)('%s', (layout) => {
    const provider = layoutProvider(layout)
    for (let i = 0; i < 300; i++) {
      const phone = randomPhone()
      const amount = randomAmount()
      // A receipt is read when it arrives: some time in the last two months (YY-MM-DD vs DD-MM-YY is read against now).
      const at = new Date(Date.now() - crypto.randomInt(0, 60 * 24 * 3600) * 1000)
      const sms = renderReceipt({provider, layout, phone, amount, at})
      const parsed = parseSms({sender: sms.sender, body: sms.body})
      expect(parsed, `${layout}: ${sms.body}`).toMatchObject({kind: 'receive', provider, amount, senderPhone: sms.hasPhone ? phone : null, reference: sms.reference || null})
      // The SMS shows Cairo wall-clock time (to the minute); an hour of slack for the DST fall-back.
      const occurredAt = parsed.kind === 'receive' ? parsed.occurredAt : null
      if (occurredAt) expect(Math.abs(new Date(occurredAt).getTime() - at.getTime()), sms.body).toBeLessThan(3_660_000)
    }
  })

  it('the default layout of every provider round-trips, with its default language', () => {
    for (const provider of PROVIDERS) {
      const sms = renderReceipt({provider, phone: '01012345678', amount: 15_050})
      expect(parseSms({sender: sms.sender, body: sms.body})).toMatchObject({kind: 'receive', provider, amount: 15_050})
    }
  })
})

describe('rendered receipts look like the real ones', () => {
  const at = new Date('2026-04-13T20:04:00Z') // 22:04 in Cairo (UTC+2 in April 2026)

  it('VF-R1 carries the Cairo time, a 12-digit reference and a 2-decimal balance', () => {
    const sms = renderReceipt({provider: 'vodafone_cash', phone: '01000000001', amount: 340_000, at, name: 'Ahmed S Example', balance: 611_666})
    expect(sms).toMatchObject({sender: 'VF-Cash', layout: 'VF-R1', hasPhone: true})
    expect(sms.body).toContain('تم استلام مبلغ 3400 جنيه من رقم 01000000001 المسجل بإسم Ahmed S Example')
    expect(sms.body).toContain('رصيدك الحالي: 6116.66 جنيه')
    expect(sms.body).toContain('تاريخ العملية: 22:04 26-04-13')
    expect(sms.reference).toMatch(/^0\d{11}$/)
    expect(parseSms({sender: sms.sender, body: sms.body})).toMatchObject({occurredAt: '2026-04-13T22:04:00+02:00'})
  })

  it('VF-R5 is English, comma thousands, international payer phone', () => {
    const sms = renderReceipt({provider: 'instapay', phone: '01100000017', amount: 305_000, at, reference: '019326828533'})
    expect(sms.body).toMatch(/^Apr 13, 2026 10:04:00 PM: Received EGP3,050 from 00201100000017 to Mobile Account Number \d{4}\. Ref: 019326828533 Available Balance: \d+\.\d\d$/)
  })

  it('e& has no reference and Orange has no payer phone', () => {
    expect(renderReceipt({provider: 'etisalat_cash', phone: '01000000019', amount: 20_000}).reference).toBe('')
    const orange = renderReceipt({provider: 'orange_cash', phone: '01000000019', amount: 15_000})
    expect(orange).toMatchObject({sender: 'Orange Cash', hasPhone: false})
    expect(orange.body).not.toContain('01000000019')
    expect(orange.reference).toMatch(/^\d{10}$/)
  })

  it('refuses a language or layout the wallet never uses, saying which exist', () => {
    expect(() => renderReceipt({provider: 'vodafone_cash', lang: 'en', phone: '01012345678', amount: 100})).toThrow(/Arabic only/)
    expect(() => renderReceipt({provider: 'instapay', lang: 'ar', phone: '01012345678', amount: 100})).toThrow(/English only/)
    expect(() => renderReceipt({provider: 'orange_cash', layout: 'VF-R2', phone: '01012345678', amount: 100})).toThrow(/vodafone_cash layout/)
  })

  it('prints amounts the way wallets do', () => {
    expect(renderReceipt({provider: 'vodafone_cash', phone: '01012345678', amount: 15_000}).body).toContain('مبلغ 150 جنيه')
    expect(renderReceipt({provider: 'vodafone_cash', phone: '01012345678', amount: 15_050}).body).toContain('مبلغ 150.50 جنيه')
    expect(renderReceipt({provider: 'vodafone_cash', layout: 'VF-R2', phone: '01012345678', amount: 15_000}).body).toContain(`مبلغ ${formatMoney(15_000)} جنيه`)
  })
})
