/**
 * The dashboard in a real browser (Debian's chromium through playwright-core): sign in with the
 * CLI's one-time link, approve, reject and match by hand, watch a new SMS appear without a reload,
 * and an SMS carrying markup stay inert. Every page is screenshotted in English and Arabic at
 * phone and desktop widths (test-artifacts/screenshots/) and checked with axe-core.
 */
import fs from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

import type {Browser, BrowserContext, Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {hasChromium, launchBrowser, SCREENSHOT_DIR} from '../support/browser.js'
import {heard, heldTransfer, holdFirstPayments, type Receiver, startReceiver, unmatchedTransfer, VF} from '../support/dashboard.js'
import {postSms, realTool, runCli, startServer, type TestServer} from '../support/vcash.js'

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

describe.skipIf(!realTool('chromium', hasChromium()))('dashboard in chromium', () => {
  let t: TestServer
  let receiver: Receiver
  let browser: Browser
  let ctx: BrowserContext
  let page: Page
  const ids = {held: '', heldToReject: '', unmatched: '', xss: '', paidIntent: ''}
  const intent = async (orderId: string, amount: string) => (await t.server.local.service.createIntent({storeId: t.storeId, amount, orderId, by: 'test'})).intent.id

  /** The CLI's link, as an operator gets it (the command opens the ledger beside the running server). */
  async function cliLink(): Promise<string> {
    const r = await runCli(['dashboard', '--json', '--data-dir', t.dataDir])
    expect(r.code).toBe(0)
    return (JSON.parse(r.stdout) as {url: string}).url
  }

  beforeAll(async () => {
    receiver = await startReceiver()
    t = await startServer({dispatcher: {pollMs: 50, scheduleMs: [100, 200]}})
    await holdFirstPayments(t, receiver.url)
    ids.held = await heldTransfer(t, '01055550001', '250', '700000001')
    ids.heldToReject = await heldTransfer(t, '01055550002', '90', '700000002')
    ids.unmatched = await unmatchedTransfer(t, '01055550003', '120.50', '700000003')
    ids.xss = await unmatchedTransfer(t, '01055550004', '15', '700000004', '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> Eve')
    browser = await launchBrowser()
    // bypassCSP only so the test can inject axe-core; the pages themselves run under their CSP.
    ctx = await browser.newContext({bypassCSP: true, viewport: {width: 1280, height: 900}})
    page = await ctx.newPage()
    page.on('dialog', (d) => void d.accept())
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
    await receiver?.close()
  })

  it('signs in with the one-time link; the same link is refused the second time', async () => {
    const url = await cliLink()
    await page.goto(url)
    expect(new URL(page.url()).pathname).toBe('/dashboard')
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview')
    const cookie = (await ctx.cookies()).find((c) => c.name === 'vcash_session')!
    expect(cookie).toMatchObject({httpOnly: true, sameSite: 'Strict', path: '/dashboard'})

    const other = await browser.newContext()
    const p2 = await other.newPage()
    const res = await p2.goto(url)
    expect(res!.status()).toBe(410)
    await expect(p2.locator('main').textContent()).resolves.toContain('already used')
    await other.close()
  })

  it('approves a held payment, and the merchant is notified', async () => {
    await page.goto(`${t.url}/dashboard/held`)
    const row = page.locator('tr', {has: page.locator(`a[href="/dashboard/transactions/${ids.held}"]`)})
    await row.getByRole('button', {name: 'Approve'}).click()
    await page.waitForURL(/done=approved/)
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain('Approved')
    expect((await t.server.local.storage.getTransaction(ids.held))!.status).toBe('COMPLETED')
    const event = await heard(receiver, 'transaction.completed', ids.held)
    expect(event.data).toMatchObject({amount: '250.00', user_name: 'Mona'})
  })

  it('rejects with a reason; the audit trail names the operator session', async () => {
    await page.goto(`${t.url}/dashboard/transactions/${ids.heldToReject}`)
    await page.getByLabel('Reason for rejecting').fill('paid by mistake')
    await page.getByRole('button', {name: 'Reject'}).click()
    await page.waitForURL(/done=rejected/)
    const audit = await page.locator('table.rows').last().textContent()
    expect(audit).toContain('rejected: paid by mistake')
    expect(audit).toMatch(/dashboard:\S+:ss_/)
  })

  it('matches an unmatched receipt to a customer by hand', async () => {
    await page.goto(`${t.url}/dashboard/unmatched`)
    const row = page.locator('tr', {has: page.locator(`a[href="/dashboard/transactions/${ids.unmatched}"]`)})
    await row.getByLabel('User name').fill('Karim')
    await row.getByLabel('Client id').fill('314')
    await row.getByRole('button', {name: 'Match to customer'}).click()
    await page.waitForURL(/done=matched/)
    expect(await t.server.local.storage.getTransaction(ids.unmatched)).toMatchObject({status: 'COMPLETED', userName: 'Karim', clientId: '314'})
    await heard(receiver, 'transaction.completed', ids.unmatched)
  })

  it('shows a new SMS without a reload', async () => {
    await page.goto(`${t.url}/dashboard/unmatched`)
    await page.evaluate(() => ((window as unknown as {marker: number}).marker = 1))
    const sms = await postSms(t, VF('01055550005', '333', '700000005'))
    const id = (sms.json.transaction as {id: string}).id
    await page.locator(`a[href="/dashboard/transactions/${id}"]`).waitFor({timeout: 10_000})
    // Same document: it arrived over the event stream, not by navigation.
    expect(await page.evaluate(() => (window as unknown as {marker?: number}).marker)).toBe(1)
  })

  it('cancels an intent from the dashboard, and the customer\'s open checkout page turns to the cancelled screen', async () => {
    const id = await intent('C-1', '410')
    // The customer's page, open in another browser, under its own CSP.
    const customer = await browser.newContext({viewport: {width: 390, height: 844}})
    const pay = await customer.newPage()
    await pay.goto(`${t.url}/pay/${id}?lang=en`)
    await expect(pay.locator('main').getAttribute('data-screen')).resolves.toBe('pay')

    await page.goto(`${t.url}/dashboard/intents`)
    await page.getByLabel('Order id or intent id').fill('C-1')
    await page.getByRole('button', {name: 'Filter'}).click()
    await page.locator(`a[href="/dashboard/intents/${id}"]`).first().click()
    await page.getByRole('button', {name: 'Cancel this intent'}).click()
    await page.waitForURL(/done=cancelled/)
    await expect(page.locator('h1 .badge').textContent()).resolves.toBe('Cancelled')
    expect(await page.locator('table.rows').last().textContent()).toMatch(/dashboard:\S+:ss_/)

    // Live: the page hears of it without the customer doing anything.
    await pay.waitForSelector('main[data-screen="cancelled"]', {timeout: 15_000})
    await expect(pay.locator('h1').textContent()).resolves.toBe('This payment was cancelled')
    await customer.close()
  })

  it('pays a waiting intent with an unmatched receipt from the queue, and the merchant hears intent.paid', async () => {
    const id = await intent('C-2', '520')
    const tx = await unmatchedTransfer(t, '01055550007', '520', '700000007')
    await page.goto(`${t.url}/dashboard/unmatched`)
    const row = page.locator('tr', {has: page.locator(`a[href="/dashboard/transactions/${tx}"]`)})
    await row.getByLabel('Or pay a waiting intent').selectOption(id)
    await row.getByRole('button', {name: 'Pay intent'}).click()
    await page.waitForURL(/done=intent_paid/)
    expect(await t.server.local.storage.getIntent(id)).toMatchObject({status: 'paid', transactionId: tx})
    await heard(receiver, 'intent.paid', id)
    ids.paidIntent = id
  })

  it('keeps an SMS carrying markup inert', async () => {
    await page.goto(`${t.url}/dashboard/transactions/${ids.xss}`)
    await expect(page.locator('main').textContent()).resolves.toContain('<script>window.__pwned=1</script>')
    expect(await page.evaluate(() => (window as unknown as {__pwned?: number}).__pwned)).toBeUndefined()
    expect(await page.locator('main img').count()).toBe(0)
  })

  it('every page, in English and Arabic, at phone and desktop widths: screenshots and no serious accessibility violations', async () => {
    fs.mkdirSync(SCREENSHOT_DIR, {recursive: true})
    const delivery = (await t.server.local.storage.listNotifications({limit: 1}))[0]!
    // A waiting intent with an unclaimed transfer of its amount: its page and the queue offer the match.
    const waiting = await intent('SHOP-1042', '275')
    await unmatchedTransfer(t, '01055550008', '275', '700000008', 'Nour Hassan')
    const pages: [string, string][] = [
      ['dashboard-overview', '/dashboard'],
      ['dashboard-transactions', '/dashboard/transactions'],
      ['dashboard-transaction', `/dashboard/transactions/${ids.held}`],
      ['dashboard-held', '/dashboard/held'],
      ['dashboard-unmatched', '/dashboard/unmatched'],
      ['dashboard-intents', '/dashboard/intents'],
      ['dashboard-intent', `/dashboard/intents/${waiting}`],
      ['dashboard-intent-paid', `/dashboard/intents/${ids.paidIntent}`],
      ['dashboard-deliveries', '/dashboard/deliveries'],
      ['dashboard-delivery', `/dashboard/deliveries/${delivery.id}`],
      ['dashboard-stores', '/dashboard/stores'],
      ['dashboard-store', `/dashboard/stores/${t.storeId}`],
    ]
    // One more held payment, so the held page has a row to show.
    await heldTransfer(t, '01055550006', '75', '700000006', 'Salma Y')
    const problems: string[] = []
    const weights: string[] = []
    for (const lang of ['en', 'ar'] as const) {
      for (const width of [390, 1280]) {
        await page.setViewportSize({width, height: 900})
        for (const [name, p] of pages) {
          const res = await page.goto(`${t.url}${p}?lang=${lang}`)
          expect(res!.status(), p).toBe(200)
          expect(await page.getAttribute('html', 'dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr')
          await page.screenshot({path: path.join(SCREENSHOT_DIR, `${name}-${lang}-${width}.png`), fullPage: true})
          if (width === 1280) {
            if (lang === 'en') weights.push(`${name} ${(await res!.body()).length}`)
            await page.addScriptTag({content: AXE})
            const result = await page.evaluate(async () => {
              const axe = (window as unknown as {axe: {run: (ctx: Document, o: object) => Promise<{violations: {id: string; impact: string; nodes: {target: string[]}[]}[]}>}}).axe
              return axe.run(document, {resultTypes: ['violations']})
            })
            for (const v of result.violations) {
              if (v.impact === 'serious' || v.impact === 'critical') problems.push(`${name} ${lang}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
            }
          }
        }
      }
    }
    console.error(`dashboard HTML bytes: ${weights.join(', ')}`)
    expect(problems).toEqual([])
  }, 120_000)
})
