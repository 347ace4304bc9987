import {describe, expect, it} from 'vitest'

import {VcashError} from '../../src/core/errors.js'
import {resolveTarget} from '../../src/simulate/runner.js'
import {EXAMPLE_SCENARIO, interpolate, parseDuration, parseScenario} from '../../src/simulate/scenario.js'

function invalid(text: string): VcashError {
  try {
    parseScenario(text, 'case.yaml')
  } catch (error) {
    if (error instanceof VcashError) return error
    throw error
  }
  throw new Error('parsed without an error')
}

describe('scenario files', () => {
  it('YAML and JSON describe the same scenario; defaults are filled in', () => {
    const yaml = parseScenario('steps:\n  - id: t1\n    transfer: {phone: "01012345678", amount: 150}\n')
    const json = parseScenario(JSON.stringify({steps: [{id: 't1', transfer: {phone: '01012345678', amount: 150}}]}))
    expect(yaml).toEqual(json)
    expect(yaml).toMatchObject({name: 'scenario', steps: [{transfer: {amount: '150', provider: 'vodafone_cash', expect: 'created'}}]})
  })

  it('durations: minutes as numbers, or 90s / 25h / 1h30m strings', () => {
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('-25h')).toBe(-90_000_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(() => parseDuration('tomorrow')).toThrow(/not a duration/)
    const s = parseScenario('steps:\n  - advance_clock: {duration: 25h}\n  - advance_clock: {minutes: 90}\n  - expect_callback: {transaction: x, within: 2s}\n')
    expect(s.steps.map((x) => x.advance_clock?.duration ?? x.advance_clock?.minutes ?? x.expect_callback?.within)).toEqual([90_000_000, 90, 2000])
  })

  it('errors name the step and field, and exit 65', () => {
    const e = invalid('steps:\n  - check: {amount: "5", expect: paid}\n')
    expect(e.exit).toBe(65)
    expect(e.message).toMatch(/steps\.0\.check\.expect/)
    expect(invalid('steps:\n  - transfer: {phone: "010", amount: 1}\n    check: {phone: "010", amount: 1, expect: completed}\n').message).toMatch(/one action, not transfer and check/)
    expect(invalid('steps:\n  - check: {amount: 1, expect: completed}\n').message).toMatch(/steps\.0\.check: needs phone or reference/)
    expect(invalid('steps:\n  - advance_clock: {duration: soon}\n').message).toMatch(/"soon" is not a duration/)
    expect(invalid('steps:\n  - advance_clock: {}\n').message).toMatch(/minutes or duration/)
    expect(invalid('steps:\n  - {id: a, transfer: {phone: "01012345678", amount: 1}}\n  - {id: a, transfer: {phone: "01012345678", amount: 1}}\n').message).toMatch(/"a" is used twice/)
    expect(invalid('steps:\n  - transfer: {phone: "01012345678", amount: 1, layout: VF-R9}\n').message).toMatch(/layout/)
    expect(invalid('target: {sever: x}\nsteps:\n  - advance_clock: {minutes: 1}\n').message).toMatch(/target.*sever|Unrecognized key/)
    expect(invalid('steps: [\n').message).toMatch(/not valid YAML\/JSON/)
  })

  it('a callback may keep the merchant\'s own URL (WHMCS needs its credentials too)', () => {
    expect(parseScenario('store: {callback: {kind: webhook, url: "https://shop.example/hook"}}\nsteps:\n  - advance_clock: {minutes: 1}\n').store?.callback).toEqual({kind: 'webhook', url: 'https://shop.example/hook'})
    expect(invalid('store: {callback: {kind: whmcs, url: "https://shop.example"}}\nsteps:\n  - advance_clock: {minutes: 1}\n').message).toMatch(/store\.callback/)
  })

  it('the starter scenario is valid', () => {
    expect(parseScenario(EXAMPLE_SCENARIO).steps.length).toBeGreaterThan(5)
  })
})

describe('references', () => {
  const ctx = {steps: {t1: {transaction_id: 'tx_1', reference: null}}, env: {SHOP: 'https://shop.example'}}

  it('${steps.ID.FIELD} and ${env.NAME} anywhere in a step', () => {
    expect(interpolate({a: '${steps.t1.transaction_id}', b: ['x ${env.SHOP}/hook'], n: 5}, ctx)).toEqual({a: 'tx_1', b: ['x https://shop.example/hook'], n: 5})
  })

  it('an unknown step, a missing field or an unset env var is an error that says which', () => {
    expect(() => interpolate('${steps.t2.transaction_id}', ctx)).toThrow(/step that has not run \(or has no id "t2"\)/)
    expect(() => interpolate('${steps.t1.reference}', ctx)).toThrow(/step "t1" has no reference/)
    expect(() => interpolate('${env.NOPE}', ctx)).toThrow(/\$\{env\.NOPE\} is not set/)
  })

  it('the target block reads env vars; flags (and their env) win over it', () => {
    const env = {URL: 'http://127.0.0.1:9999/', TOKEN: 'vd_env'}
    const fromFile = {server: '${env.URL}', device_token: '${env.TOKEN}', store: 'st_file'}
    expect(resolveTarget(fromFile, {}, env)).toMatchObject({server: 'http://127.0.0.1:9999', deviceToken: 'vd_env', storeId: 'st_file'})
    expect(resolveTarget(fromFile, {storeId: 'st_flag', server: 'http://10.0.0.1:8080'}, env)).toMatchObject({server: 'http://10.0.0.1:8080', storeId: 'st_flag'})
    expect(resolveTarget(undefined, undefined, env).server).toBeUndefined()
    expect(() => resolveTarget({server: 'ftp://x'}, {}, env)).toThrow(/http/)
  })

  it('target.pay_to: one or a list of provider:wallet, validated as the store setting; --pay-to wins', () => {
    const env = {WALLET: '+20 100 000 0002'}
    expect(resolveTarget({pay_to: 'vodafone_cash:${env.WALLET}'}, {}, env).payTo).toEqual([{provider: 'vodafone_cash', wallet: '01000000002'}])
    expect(resolveTarget({pay_to: ['etisalat_cash:01100000003', 'instapay:Shop@InstaPay']}, {}, env).payTo).toEqual([{provider: 'etisalat_cash', wallet: '01100000003'}, {provider: 'instapay', wallet: 'shop@instapay'}])
    expect(resolveTarget({pay_to: 'bad'}, {payTo: [{provider: 'vodafone_cash', wallet: '01000000009'}]}, env).payTo).toEqual([{provider: 'vodafone_cash', wallet: '01000000009'}])
    expect(resolveTarget(undefined, {}, env).payTo).toBeUndefined()
    for (const bad of ['vodafone_cash:123', 'paypal:01000000002', '01000000002', 'vodafone_cash:']) {
      expect(() => resolveTarget({pay_to: bad}, {}, env), bad).toThrow(expect.objectContaining({code: 'invalid_input', exit: 65, message: expect.stringMatching(/^target\.pay_to takes PROVIDER:WALLET/)}))
    }
    expect(() => parseScenario('target: {pay_to: [1]}\nsteps:\n  - check: {phone: "01012345678", amount: "5", expect: not_found}\n')).toThrow(/target\.pay_to/)
  })
})
