import {describe, expect, it} from 'vitest'

import {hermeticEnv, serve, stop, tempDir, vcash} from './spawn.js'

const SECRET = 'S3cretWhmcsValue42'

function small(stdout: string): Record<string, unknown> {
  expect(stdout.length).toBeLessThan(1000)
  const body = JSON.parse(stdout) as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(['code', 'message', 'status', 'suggestion'])
  expect(body.status).toBe(false)
  return body
}

describe('flag and argument errors', () => {
  const env = hermeticEnv(tempDir())

  it('--json: one small object, no flag values, exit 2', async () => {
    const r = await vcash(['store', 'init', '--whmcs-secret', SECRET, '--bogus', '--json'], {env})
    expect(r.code).toBe(2)
    const body = small(r.stdout)
    expect(body).toMatchObject({code: 'invalid_flags', message: 'Nonexistent flag: --bogus'})
    expect(String(body.suggestion)).toContain('vcash store init --help')
    expect(r.stdout + r.stderr).not.toContain(SECRET)
    expect(r.stdout).not.toMatch(/"(config|argv|home)"/)
  })

  it('without --json: a short message on stderr, exit 2, secrets cut out', async () => {
    const r = await vcash(['store', 'init', `--whmcs-secret=${SECRET}`, '--bogus'], {env})
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('--bogus')
    expect(r.stderr).not.toContain(SECRET)
    // A value oclif would echo back is cut out when it is also a secret's value.
    const echoed = await vcash(['store', 'init', '--whmcs-secret', SECRET, '--match-window', SECRET], {env})
    expect(echoed.code).toBe(2)
    expect(echoed.stderr).toContain('--match-window')
    expect(echoed.stderr).not.toContain(SECRET)
    const fromEnv = await vcash(['store', 'init', '--match-window', SECRET, '--json'], {env: {...env, VCASH_WHMCS_SECRET: SECRET}})
    expect(fromEnv.code).toBe(2)
    expect(fromEnv.stdout + fromEnv.stderr).not.toContain(SECRET)
    // Anything shaped like a vcash token is masked wherever it appears.
    const token = await vcash(['tx', 'list', '--limit', 'vd_LeakedDeviceToken123', '--json'], {env})
    expect(token.code).toBe(2)
    expect(token.stdout).not.toContain('LeakedDeviceToken123')
  })

  it('never echoes what was typed, secret or not: the flag and what it takes', async () => {
    const mode = await vcash(['store', 'set', '--mode', 'nope-typed', '--json'], {env})
    expect(mode.code).toBe(2)
    expect(small(mode.stdout)).toMatchObject({code: 'invalid_flags', message: '--mode must be one of: production, development'})
    const limit = await vcash(['tx', 'list', '--limit', 'abc-typed', '--json'], {env})
    expect(small(limit.stdout)).toMatchObject({message: '--limit: Expected an integer'})
    const since = await vcash(['tx', 'list', '--since', 'yesterday-typed'], {env})
    expect(since.code).toBe(2)
    const arg = await vcash(['config', 'get', 'nokey-typed', '--json'], {env})
    expect(small(arg.stdout)).toMatchObject({code: 'invalid_args', message: expect.stringMatching(/^the argument must be one of: server, /)})
    for (const r of [mode, limit, since, arg]) expect(r.stdout + r.stderr).not.toMatch(/-typed/)
  })

  it('missing required flags, bad option values and bad arguments are usage errors too', async () => {
    const missing = await vcash(['simulate', 'transfer', '--json'], {env})
    expect(missing.code).toBe(2)
    expect(small(missing.stdout)).toMatchObject({code: 'invalid_flags'})
    expect(String(small(missing.stdout).message)).toMatch(/phone/)
    const badUrl = await vcash(['simulate', 'check', '--amount', '1', '--server', 'notaurl', '--json'], {env})
    expect(badUrl.code).toBe(2)
    expect(small(badUrl.stdout)).toMatchObject({code: 'invalid_flags'})
    const args = await vcash(['config', 'get', '--json'], {env})
    expect(args.code).toBe(2)
    expect(small(args.stdout)).toMatchObject({code: 'invalid_args', message: expect.stringMatching(/KEY/)})
  })
})

describe('unknown commands', () => {
  const env = hermeticEnv(tempDir())

  it('--json: a JSON error on stdout, exit 2, a suggestion for near misses', async () => {
    const r = await vcash(['sms', 'tali', '--device-token', 'vd_NotToBeEchoed123', '--json'], {env})
    expect(r.code).toBe(2)
    const body = small(r.stdout)
    expect(body).toMatchObject({code: 'command_not_found'})
    expect(String(body.suggestion)).toContain('vcash sms tail')
    expect(r.stdout + r.stderr).not.toContain('NotToBeEchoed123')
    const far = await vcash(['frobnicate', '--json'], {env})
    expect(far.code).toBe(2)
    expect(small(far.stdout)).toMatchObject({code: 'command_not_found', suggestion: 'Run `vcash --help` for all commands.'})
  })

  it('never echoes the words oclif folded into the unknown id', async () => {
    const r = await vcash(['config', 'lsit', 'device-token', 'vd_FoldedIntoTheId99', '--json'], {env})
    expect(r.code).toBe(2)
    expect(small(r.stdout)).toMatchObject({code: 'command_not_found', message: 'vcash has no command "config lsit"'})
    expect(r.stdout + r.stderr).not.toContain('FoldedIntoTheId99')
    const extra = await vcash(['store', 'list', 'S3cretPositional', '--json'], {env})
    expect(extra.code).toBe(2)
    expect(small(extra.stdout)).toMatchObject({code: 'invalid_args', message: '`vcash store list` takes no arguments'})
    expect(extra.stdout + extra.stderr).not.toContain('S3cretPositional')
  })

  it('without --json: stderr, exit 2', async () => {
    const r = await vcash(['sms', 'tali'], {env})
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/no command "sms tali"/)
    expect(r.stderr).toMatch(/vcash sms tail/)
  })
})

describe('VCASH_TRUST_PROXY', () => {
  /** Failed checks are limited per caller address: with the proxy trusted, X-Forwarded-For is that address. */
  async function statuses(extraEnv: Record<string, string>, flags: string[] = []): Promise<number[]> {
    const env = hermeticEnv(tempDir(), extraEnv)
    const {child, ready} = await serve(['--data-dir', tempDir(), '--failed-check-limit', '1', ...flags], env)
    try {
      const out: number[] = []
      for (const xff of ['203.0.113.1', '203.0.113.1', '203.0.113.2']) {
        const q = new URLSearchParams({store_id: ready.dev_store!.id, phone: '01012345678', amount: '10', user_name: 'x'})
        const res = await fetch(`${ready.url}/api/payment_link_check?${q}`, {headers: {'x-forwarded-for': xff}})
        await res.arrayBuffer()
        out.push(res.status)
      }
      return out
    } finally {
      await stop(child)
    }
  }

  it('as an env var starts the server and trusts the proxy, like the flag (single and comma-separated)', async () => {
    expect(await statuses({VCASH_TRUST_PROXY: '127.0.0.1'})).toEqual([200, 429, 200])
    expect(await statuses({VCASH_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1'})).toEqual([200, 429, 200])
    expect(await statuses({}, ['--trust-proxy', '127.0.0.1'])).toEqual([200, 429, 200])
    // Untrusted: every request is 127.0.0.1's, so the third is limited too.
    expect(await statuses({})).toEqual([200, 429, 429])
  })

  it('rejects a bad address from the env as a usage error', async () => {
    const r = await vcash(['serve', '--port', '0', '--data-dir', tempDir(), '--json'], {env: hermeticEnv(tempDir(), {VCASH_TRUST_PROXY: '127.0.0.1,not-an-ip'})})
    expect(r.code).toBe(2)
    expect(small(r.stdout)).toMatchObject({code: 'invalid_flags', message: expect.stringMatching(/not-an-ip/)})
  })
})
