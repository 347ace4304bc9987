import fs from 'node:fs'
import path from 'node:path'

import {expect, it} from 'vitest'

import {openLocal} from '../../src/app/runtime.js'
import {hermeticEnv, tempDir, vcash} from './spawn.js'

const RECEIPT = 'You have received 250 LE from 01000000047. Your current Vodafone Cash balance is 300.00 LE. Transaction ID: 021234567890'
const PERSONAL = 'Hey, dinner at 8 tonight? Bring the kids'

function backup(file: string): void {
  const sms = (address: string, body: string, date: number) => `  <sms protocol="0" address="${address}" date="${date}" type="1" body="${body}" read="1" status="-1" />`
  fs.writeFileSync(file, `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count="3">\n${[
    sms('VF-Cash', RECEIPT, 1_776_000_000_000),
    sms('+201001234567', PERSONAL, 1_776_000_100_000),
    sms('WE', 'Your OTP is 482913', 1_776_000_200_000),
  ].join('\n')}\n</smses>\n`)
}

async function storedSms(dataDir: string): Promise<number> {
  const l = await openLocal({dataDir, holder: 'test'})
  try {
    return await l.storage.countSms()
  } finally {
    await l.close()
  }
}

it('sms ingest of a phone backup leaves personal messages out and counts them; --all keeps them', async () => {
  const dir = tempDir()
  const env = hermeticEnv(dir)
  const file = path.join(dir, 'sms-backup.xml')
  backup(file)
  const dataDir = path.join(dir, 'data')
  await vcash(['store', 'init', '--data-dir', dataDir, '--name', 'Shop', '--callback', 'none', '--json'], {env})
  const r = await vcash(['sms', 'ingest', file, '--data-dir', dataDir, '--json'], {env})
  expect(r.code).toBe(0)
  const body = JSON.parse(r.stdout) as {new: number; ignored: number; personal: number; items: {sender: string}[]}
  expect(body).toMatchObject({new: 1, ignored: 0, personal: 2})
  expect(body.items.map((i) => i.sender)).toEqual(['VF-Cash'])
  expect(r.stdout).not.toContain('dinner')
  expect(await storedSms(dataDir)).toBe(1)

  const human = await vcash(['sms', 'ingest', file, '--data-dir', dataDir], {env})
  expect(human.stderr).toMatch(/2 personal left out/)

  const all = await vcash(['sms', 'ingest', file, '--data-dir', dataDir, '--all', '--json'], {env})
  expect(JSON.parse(all.stdout)).toMatchObject({duplicate: 1, ignored: 2, personal: 0})
  expect(await storedSms(dataDir)).toBe(3)
})
