/**
 * Debian's chromium driven by playwright-core (never a downloaded browser). The flags keep
 * Chromium from dialling Google at start-up, which this machine's closed network refuses;
 * playwright gives every launch a fresh temporary profile.
 */
import fs from 'node:fs'
import path from 'node:path'

import {type Browser, chromium} from 'playwright-core'

export const CHROMIUM = process.env.VCASH_CHROMIUM ?? '/usr/bin/chromium'

export function hasChromium(): boolean {
  return fs.existsSync(CHROMIUM)
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
}

/** Screenshots kept as CI artifacts (README: "Screenshots"): test-artifacts/screenshots/<page>-<lang>-<width>.png */
export const SCREENSHOT_DIR = path.resolve('test-artifacts/screenshots')
