import {describe, expect, it} from 'vitest'

import {runCli, tempDir} from '../support/vcash.js'

describe('vcash simulate intent', () => {
  it('creates an intent and, with --pay-from, pays it through a simulated receipt; an order id twice is one intent', async () => {
    const dataDir = tempDir()
    const init = await runCli(['store', 'init', '--name', 'Shop', '--callback', 'none', '--mode', 'development', '--pay-to', 'vodafone_cash:01000000002', '--data-dir', dataDir, '--json'])
    expect(init.code, init.stderr).toBe(0)
    const paid = await runCli(['simulate', 'intent', '--amount', '99.50', '--order-id', 'A-1', '--pay-from', '٠١٠١٢٣٤٥٦٧٨', '--data-dir', dataDir, '--json'])
    expect(paid.code, paid.stderr).toBe(0)
    const r = JSON.parse(paid.stdout) as {intent: Record<string, unknown>; transaction_id: string; claim: string}
    expect(r.claim).toBe('paid')
    expect(r.intent).toMatchObject({status: 'paid', amount: '99.50', order_id: 'A-1', payer_phone: '01012345678', transaction_id: r.transaction_id, pay_to: [{provider: 'vodafone_cash', wallet: '01000000002'}]})
    expect(String(r.intent.checkout_url)).toMatch(/\/pay\/pi_/)
    const again = await runCli(['simulate', 'intent', '--amount', '99.50', '--order-id', 'A-1', '--data-dir', dataDir, '--json'])
    expect((JSON.parse(again.stdout) as {intent: {id: string; status: string}}).intent).toMatchObject({id: r.intent.id, status: 'paid'})
    const bad = await runCli(['simulate', 'intent', '--amount', 'ten', '--data-dir', dataDir, '--json'])
    expect(bad.code).not.toBe(0)
    expect(JSON.parse(bad.stdout)).toMatchObject({status: false, code: 'invalid_input'})
  })
})
