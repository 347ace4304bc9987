import {describe, expect, it} from 'vitest'

import {VcashError} from '../../src/core/errors.js'
import {convertAmount, formatMoney, formatRate, parseMoney, parseRate, tryParseMoney} from '../../src/core/money.js'
import {normalisePhone, tryNormalisePhone} from '../../src/core/phone.js'
import {normaliseText, stripInvisible, toAsciiDigits} from '../../src/core/text.js'

describe('tryParseMoney', () => {
  it.each([
    ['100', 10000],
    ['100.5', 10050],
    ['100.50', 10050],
    ['100.05', 10005],
    ['1,000', 100000],
    ['1,000.75', 100075],
    ['12,345,678.9', 1234567890],
    ['0.01', 1],
    ['0', 0],
    [' 42 ', 4200],
    ['١٠٠', 10000],
    ['١٠٠٫٥', 10050],
    ['١٬٠٠٠٫٢٥', 100025],
    ['۱۲۳', 12300],
    ['\u200f100\u200e', 10000],
  ])('%j → %d piastres', (input, piastres) => {
    expect(tryParseMoney(input)).toBe(piastres)
  })

  it.each(['abc', '-5', '+5', '1e3', '1.234', '', '   ', '1,00', '1,0000', '10,00.5', '.5', '1.2.3', '1 000', '12a', 'NaN', 'Infinity', '99999999999999', '0,100', '01,000', '100.'])('%j is rejected', (input) => {
    expect(tryParseMoney(input)).toBeNull()
  })

  it('parseMoney throws invalid_input naming the field', () => {
    expect(parseMoney('12.5')).toBe(1250)
    let err: unknown
    try {
      parseMoney('abc', 'price')
    } catch (error) {
      err = error
    }
    expect(err).toBeInstanceOf(VcashError)
    expect((err as VcashError).code).toBe('invalid_input')
    expect((err as VcashError).errors?.[0]?.field).toBe('price')
  })
})

describe('formatMoney', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [10050, '100.50'],
    [340000, '3400.00'],
    [-150, '-1.50'],
  ])('%d → %s', (p, s) => {
    expect(formatMoney(p)).toBe(s)
  })

  it('round-trips with tryParseMoney', () => {
    for (const p of [0, 1, 99, 100, 12345, 1060266, 999999999]) expect(tryParseMoney(formatMoney(p))).toBe(p)
  })

  it('refuses a non-integer (a float leaked in)', () => {
    expect(() => formatMoney(1.5)).toThrow(TypeError)
    expect(() => formatMoney(Number.NaN)).toThrow(TypeError)
  })
})

describe('parseRate / formatRate', () => {
  it.each([
    ['1', 1n, 0, '1'],
    ['50.50', 5050n, 2, '50.50'],
    ['50.5', 505n, 1, '50.50'],
    ['48.25', 4825n, 2, '48.25'],
    ['48.250', 48250n, 3, '48.25'],
    ['0.000001', 1n, 6, '0.000001'],
    ['٥٠٫٥', 505n, 1, '50.50'],
  ])('%j → %s/10^%d → %s', (input, units, scale, formatted) => {
    const r = parseRate(input)
    expect(r).toEqual({units, scale})
    expect(formatRate(r)).toBe(formatted)
  })

  it.each(['0', '0.00', '-1', '1e3', 'abc', '', '1.1234567', '1,000', '.5'])('%j is rejected', (input) => {
    expect(() => parseRate(input)).toThrow(VcashError)
  })
})

describe('convertAmount', () => {
  it.each([
    [5050, '50.50', '1.00'],
    [10000, '1', '100.00'],
    [10000, '3', '33.33'],
    [200, '3', '0.67'],
    [100, '3', '0.33'],
    // 0.5 of a cent rounds half-up: 1 piastre / 2 = 0.005 → 0.01
    [1, '2', '0.01'],
    [305000, '48.25', '63.21'],
    [0, '50', '0.00'],
  ])('%d piastres at %s → %s', (egp, rate, out) => {
    expect(convertAmount(egp, parseRate(rate))).toBe(out)
  })

  it('stays exact for large amounts (no float drift)', () => {
    expect(convertAmount(99_999_999_999, parseRate('1'))).toBe('999999999.99')
    expect(convertAmount(10, parseRate('0.1'))).toBe('1.00')
  })
})

describe('tryNormalisePhone', () => {
  it.each([
    ['01000000001', '01000000001'],
    ['01100000001', '01100000001'],
    ['01200000001', '01200000001'],
    ['01500000001', '01500000001'],
    ['+201000000001', '01000000001'],
    ['00201000000001', '01000000001'],
    ['201000000001', '01000000001'],
    ['1000000001', '01000000001'],
    ['010 0000 0001', '01000000001'],
    ['010-0000-0001', '01000000001'],
    ['+20 100 000 0001', '01000000001'],
    ['+20 010 0000 0001', '01000000001'],
    ['0020 0100 000 0001', '01000000001'],
    ['(010) 0000.0001', '01000000001'],
    ['٠١٠٠٠٠٠٠٠٠١', '01000000001'],
    ['۰۱۰۰۰۰۰۰۰۰۱', '01000000001'],
    ['+٢٠١٠٠٠٠٠٠٠٠١', '01000000001'],
    ['\u200e01000000001\u200f', '01000000001'],
    [' 01000000001 ', '01000000001'],
  ])('%j → %s', (input, phone) => {
    expect(tryNormalisePhone(input)).toBe(phone)
  })

  it.each([
    ['013 prefix', '01300000001'],
    ['014 prefix', '01400000001'],
    ['016 prefix', '01600000001'],
    ['landline', '0223456789'],
    ['too short', '0100000001'],
    ['too long', '010000000012'],
    ['+20 too long', '+2010000000012'],
    ['16-digit id', '4000123412341234'],
    ['letters', '01OOOOOOOO1'],
    ['empty', ''],
    ['other country', '+966500000001'],
  ])('%s (%j) is rejected', (_label, input) => {
    expect(tryNormalisePhone(input)).toBeNull()
  })

  it('normalisePhone throws invalid_input', () => {
    expect(normalisePhone('+201000000001')).toBe('01000000001')
    expect(() => normalisePhone('01300000001', 'sender_phone')).toThrow(/sender_phone/)
  })
})

describe('text normalisation', () => {
  it('digits, separators and invisible marks', () => {
    expect(toAsciiDigits('٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ١٬٠٠٠٫٥')).toBe('0123456789 0123456789 1,000.5')
    expect(stripInvisible('a\u200e\u200e\u200f\u061c\u202a\u202e\u2066\u2069\ufeffb')).toBe('ab')
    expect(normaliseText('١\u00a0٢\nx')).toBe('1 2\nx')
  })
})
