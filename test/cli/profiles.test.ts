import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {hermeticEnv, tempDir, vcash} from './spawn.js'

const DEVICE_TOKEN = 'vd_ProfileSecretDevice0123456789abcd'
const API_TOKEN = 'vk_ProfileSecretApi0123456789abcdefg'

/** A stand-in vcash server that records which URL, token and store each request used. */
interface Seen {
  server: string
  auth: string | undefined
  path: string
  store: string | null
}
const seen: Seen[] = []
const servers: http.Server[] = []
const urls: Record<'flag' | 'env' | 'profile', string> = {flag: '', env: '', profile: ''}

beforeAll(async () => {
  for (const name of ['flag', 'env', 'profile'] as const) {
    const s = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x')
      seen.push({server: name, auth: req.headers.authorization, path: u.pathname, store: u.searchParams.get('store_id')})
      req.resume()
      req.on('end', () => {
        res.setHeader('content-type', 'application/json')
        res.end(u.pathname === '/api/sms' ? JSON.stringify({outcome: 'new', transaction: null}) : JSON.stringify({status: true, message: 'ok'}))
      })
    })
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
    servers.push(s)
    urls[name] = `http://127.0.0.1:${(s.address() as AddressInfo).port}`
  }
})

afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()))
})

function noSecrets(r: {stdout: string; stderr: string}): void {
  for (const secret of [DEVICE_TOKEN, API_TOKEN, DEVICE_TOKEN.slice(3), API_TOKEN.slice(3)]) {
    expect(r.stdout).not.toContain(secret)
    expect(r.stderr).not.toContain(secret)
  }
}

async function lastRequestOf(args: string[], env: NodeJS.ProcessEnv): Promise<Seen> {
  const before = seen.length
  const r = await vcash(args, {env})
  expect(r.code, r.stderr).toBe(0)
  noSecrets(r)
  expect(seen.length).toBe(before + 1)
  return seen.at(-1)!
}

describe('vcash config: profiles on disk', () => {
  it('round-trips across processes, writes 0600 in a 0700 dir, and never prints a token', async () => {
    const home = tempDir()
    const env = hermeticEnv(home)
    const cfg = env.VCASH_CONFIG_DIR!

    const set1 = await vcash(['config', 'set', 'server', 'https://pay.example.com/'], {env})
    expect(set1.code, set1.stderr).toBe(0)
    const set2 = await vcash(['config', 'set', 'device-token', DEVICE_TOKEN], {env})
    expect(set2.code, set2.stderr).toBe(0)
    noSecrets(set2)
    // The stdin form, for keeping tokens out of shell history.
    const set3 = await vcash(['config', 'set', 'api-token', '-', '--json'], {env, input: `${API_TOKEN}\n`})
    expect(set3.code, set3.stderr).toBe(0)
    noSecrets(set3)
    expect(JSON.parse(set3.stdout)).toMatchObject({profile: 'default', key: 'api-token', value: 'vk_…****'})
    const set4 = await vcash(['config', 'set', 'store', 'st_Prod1', '--profile', 'prod'], {env})
    expect(set4.code, set4.stderr).toBe(0)

    const file = path.join(cfg, 'profiles.json')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(cfg).mode & 0o777).toBe(0o700)
    // No temp files left behind by the atomic write.
    expect(fs.readdirSync(cfg)).toEqual(['profiles.json'])
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as {profiles: Record<string, Record<string, string>>}
    expect(onDisk.profiles.default).toEqual({'server': 'https://pay.example.com', 'device-token': DEVICE_TOKEN, 'api-token': API_TOKEN})
    expect(onDisk.profiles.prod).toEqual({store: 'st_Prod1'})

    // Read back in other processes.
    const get = await vcash(['config', 'get', 'server'], {env})
    expect(get).toMatchObject({code: 0, stdout: 'https://pay.example.com\n'})
    const getSecret = await vcash(['config', 'get', 'device-token'], {env})
    expect(getSecret.code).toBe(0)
    expect(getSecret.stdout).toBe('vd_…****\n')
    noSecrets(getSecret)
    const list = await vcash(['config', 'list', '--json'], {env})
    expect(list.code, list.stderr).toBe(0)
    noSecrets(list)
    expect(JSON.parse(list.stdout)).toMatchObject({
      profile: 'default',
      values: {'server': 'https://pay.example.com', 'device-token': 'vd_…****', 'api-token': 'vk_…****'},
      profiles: ['default', 'prod'],
    })
    const human = await vcash(['config', 'list'], {env})
    expect(human.stdout.split('\n')[0]).toMatch(/^KEY\s+VALUE$/)
    expect(human.stdout).toMatch(/^device-token\s+vd_…\*\*\*\*$/m)
    noSecrets(human)
    const prod = await vcash(['config', 'list', '--json'], {env: {...env, VCASH_PROFILE: 'prod'}})
    expect(JSON.parse(prod.stdout)).toMatchObject({profile: 'prod', values: {store: 'st_Prod1'}})

    // unset, then get reports it as not set (exit 1).
    const unset = await vcash(['config', 'unset', 'device-token', '--json'], {env})
    expect(JSON.parse(unset.stdout)).toEqual({profile: 'default', key: 'device-token', removed: true})
    const gone = await vcash(['config', 'get', 'device-token', '--json'], {env})
    expect(gone.code).toBe(1)
    expect(JSON.parse(gone.stdout)).toMatchObject({status: false, code: 'config_not_set'})
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  })

  it('writes the file even when NODE_ENV=test is inherited (no lowdb preset)', async () => {
    const env = hermeticEnv(tempDir(), {NODE_ENV: 'test'})
    expect((await vcash(['config', 'set', 'store', 'st_x1'], {env})).code).toBe(0)
    expect(fs.readFileSync(path.join(env.VCASH_CONFIG_DIR!, 'profiles.json'), 'utf8')).toContain('st_x1')
  })

  it('rejects invalid values without echoing tokens, and unknown profiles', async () => {
    const env = hermeticEnv(tempDir())
    const badUrl = await vcash(['config', 'set', 'server', 'ftp://x', '--json'], {env})
    expect(badUrl.code).toBe(2)
    expect(JSON.parse(badUrl.stdout)).toMatchObject({status: false, code: 'invalid_input'})
    const badToken = await vcash(['config', 'set', 'device-token', 'vk_NotADeviceTokenButSecret99'], {env})
    expect(badToken.code).toBe(2)
    expect(badToken.stderr).not.toContain('NotADeviceTokenButSecret99')
    const badKey = await vcash(['config', 'set', 'password', 'x', '--json'], {env})
    expect(badKey.code).toBe(2)
    expect(JSON.parse(badKey.stdout)).toMatchObject({code: 'invalid_args'})
    const missing = await vcash(['config', 'list', '--profile', 'nope', '--json'], {env})
    expect(missing.code).toBe(78)
    expect(JSON.parse(missing.stdout)).toMatchObject({code: 'profile_not_found'})
    expect(fs.existsSync(path.join(env.VCASH_CONFIG_DIR!, 'profiles.json'))).toBe(false)
  })
})

describe('profiles fill unset flags: flag > env > profile > default', () => {
  const transfer = ['simulate', 'transfer', '--phone', '01012345678', '--amount', '10', '--json']

  it('simulate transfer takes --server and --device-token from each source in order', async () => {
    const env = hermeticEnv(tempDir())
    expect((await vcash(['config', 'set', 'server', urls.profile], {env})).code).toBe(0)
    expect((await vcash(['config', 'set', 'device-token', DEVICE_TOKEN], {env})).code).toBe(0)

    // Profile only.
    expect(await lastRequestOf(transfer, env)).toMatchObject({server: 'profile', auth: `Bearer ${DEVICE_TOKEN}`, path: '/api/sms'})
    // Env beats profile, key by key (the token still comes from the profile).
    const withEnv = {...env, VCASH_SERVER: urls.env}
    expect(await lastRequestOf(transfer, withEnv)).toMatchObject({server: 'env', auth: `Bearer ${DEVICE_TOKEN}`})
    expect(await lastRequestOf(transfer, {...withEnv, VCASH_DEVICE_TOKEN: 'vd_fromEnv0000'})).toMatchObject({server: 'env', auth: 'Bearer vd_fromEnv0000'})
    // Flag beats env.
    expect(await lastRequestOf([...transfer, '--server', urls.flag, '--device-token', 'vd_fromFlag000'], {...withEnv, VCASH_DEVICE_TOKEN: 'vd_fromEnv0000'})).toMatchObject({
      server: 'flag',
      auth: 'Bearer vd_fromFlag000',
    })
  })

  it('--profile and VCASH_PROFILE pick the profile; simulate check takes store and API token from it', async () => {
    const env = hermeticEnv(tempDir())
    for (const [k, v] of [['server', urls.profile], ['store', 'st_FromProfile1'], ['api-token', API_TOKEN]]) {
      expect((await vcash(['config', 'set', k!, v!, '--profile', 'prod'], {env})).code).toBe(0)
    }
    const check = ['simulate', 'check', '--phone', '01012345678', '--amount', '10', '--json']
    expect(await lastRequestOf([...check, '--profile', 'prod'], env)).toMatchObject({server: 'profile', store: 'st_FromProfile1', auth: `Bearer ${API_TOKEN}`, path: '/api/payment_link_check'})
    expect(await lastRequestOf(check, {...env, VCASH_PROFILE: 'prod', VCASH_STORE: 'st_FromEnv1'})).toMatchObject({server: 'profile', store: 'st_FromEnv1'})
    expect(await lastRequestOf([...check, '--store', 'st_FromFlag1'], {...env, VCASH_PROFILE: 'prod', VCASH_STORE: 'st_FromEnv1'})).toMatchObject({store: 'st_FromFlag1'})
    // The default profile is empty: nothing is sent anywhere, the data dir is used instead.
    const before = seen.length
    const dataDir = tempDir()
    const local = await vcash([...check, '--data-dir', dataDir], {env})
    expect(seen.length).toBe(before)
    expect(JSON.parse(local.stdout)).toMatchObject({status: false})
    // A profile that does not exist is an error, not a silent fallback.
    const nope = await vcash([...check, '--profile', 'nope'], {env})
    expect(nope.code).toBe(78)
    expect(JSON.parse(nope.stdout)).toMatchObject({status: false, code: 'profile_not_found'})
  })

  it('data-dir from the profile replaces the built-in ./.vcash default', async () => {
    const env = hermeticEnv(tempDir())
    const cwd = tempDir()
    const dataDir = path.join(tempDir(), 'from-profile')
    expect((await vcash(['config', 'set', 'data-dir', dataDir], {env})).code).toBe(0)
    const r = await vcash(['store', 'list', '--json'], {env, cwd})
    expect(r.code, r.stderr).toBe(0)
    expect(fs.existsSync(dataDir)).toBe(true)
    expect(fs.existsSync(path.join(cwd, '.vcash'))).toBe(false)
    // The env var still wins over the profile.
    const envDir = path.join(tempDir(), 'from-env')
    expect((await vcash(['store', 'list', '--json'], {env: {...env, VCASH_DATA_DIR: envDir}, cwd})).code).toBe(0)
    expect(fs.existsSync(envDir)).toBe(true)
  })
})
