/**
 * `vcash serve` as a systemd unit runs it (issue #10): settings from the environment, output to
 * the journal (files here, not a terminal), the default fd limit of 1,024.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {until} from '../support/until.js'
import {BIN, check, cliEnv, postSms, ROOT, runCli, type ServeChild, startServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

async function serve(args: string[], env: Record<string, string> = {}): Promise<ServeChild> {
  const s = await startServe(args, cliEnv(env))
  children.push(s.child)
  return s
}

let refSeq = 400_000_000_000
const ref = () => String(refSeq++).padStart(12, '0')

describe('--trust-proxy and VCASH_TRUST_PROXY are one setting', () => {
  // What `vcash export systemd`/`env` write, and the docs recommend, crashed serve with `list.filter is not a function`.
  const forms: [string, string[], Record<string, string>][] = [
    ['env, one address', [], {VCASH_TRUST_PROXY: '127.0.0.1'}],
    ['flag, one address', ['--trust-proxy', '127.0.0.1'], {}],
    ['env, comma-separated', [], {VCASH_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1'}],
    ['flag, repeated', ['--trust-proxy', '10.0.0.0/8', '--trust-proxy', '127.0.0.1'], {}],
  ]
  for (const [name, args, env] of forms) {
    it(`${name}: X-Forwarded-For from the proxy names the client`, async () => {
      const dir = tempDir()
      const s = await serve(['--data-dir', dir, ...args], env)
      const storeId = s.ready.dev_store!.id
      const set = await runCli(['store', 'set', storeId, '--allow-ip', '203.0.113.5', '--data-dir', dir, '--json'])
      expect(set.code, set.stderr + set.stdout).toBe(0)
      const ok = await check({url: s.ready.url, storeId}, {phone: '01012345678', amount: '10'}, {'x-forwarded-for': '203.0.113.5'})
      expect(ok.status).toBe(200)
      const refused = await check({url: s.ready.url, storeId}, {phone: '01012345678', amount: '10'}, {'x-forwarded-for': '203.0.113.6'})
      expect(refused.status).toBe(403)
      expect(refused.json.message).toMatch(/203\.0\.113\.6/)
    })
  }

  it('a bad value is a usage error naming it, not a crash', async () => {
    const r = await runCli(['serve', '--data-dir', tempDir(), '--port', '0', '--json'], {env: {VCASH_TRUST_PROXY: '127.0.0.1,nonsense'}})
    expect(r.code).toBe(2)
    expect(r.stdout).toMatch(/nonsense/)
    expect(r.stdout).not.toMatch(/filter is not a function/)
  })
})

describe('a fresh server writing to files (the journal)', () => {
  it('prints no token or signing secret, says where to get them, logs json to stderr without colour', async () => {
    const dir = tempDir()
    const outFile = path.join(dir, '..', `${path.basename(dir)}.out`)
    const errFile = path.join(dir, '..', `${path.basename(dir)}.err`)
    const out = fs.openSync(outFile, 'w')
    const err = fs.openSync(errFile, 'w')
    const env = cliEnv()
    delete env.NO_COLOR // colour must be off because stderr is a file, not because we asked
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--dev-store', '--data-dir', dir], {env, cwd: ROOT, stdio: ['ignore', out, err]})
    children.push(child)
    fs.closeSync(out)
    fs.closeSync(err)
    const banner = await until('the banner in the file', () => {
      const text = fs.readFileSync(outFile, 'utf8')
      return text.includes('Ctrl-C') ? text : undefined
    }, 15_000)
    const url = /listening on (\S+)/.exec(banner)![1]!
    // Traffic, so the log has lines: an SMS refused (no token), a check.
    await postSms({url, deviceToken: 'vd_wrong'}, VF_R1('01012345678', '10', ref()))
    const listed = JSON.parse((await runCli(['store', 'list', '--data-dir', dir, '--json'])).stdout) as {stores: {id: string}[]}
    const storeId = listed.stores[0]!.id
    await check({url, storeId}, {phone: '01012345678', amount: '10'})
    child.kill('SIGTERM')
    expect(await waitExit(child)).toBe(0)

    const stdout = fs.readFileSync(outFile, 'utf8')
    const stderr = fs.readFileSync(errFile, 'utf8')
    const shown = await runCli(['store', 'show', storeId, '--show-signing-secret', '--data-dir', dir, '--json'])
    const secret = (JSON.parse(shown.stdout) as {signing_secret: string}).signing_secret
    expect(secret).toMatch(/^whsec_/)
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain(secret)
      expect(text).not.toMatch(/\bv[kd]_[A-Za-z0-9_-]{10,}/)
      expect(text).not.toMatch(/whsec_/)
      expect(text).not.toContain('\u001B[')
    }
    expect(stdout).toContain(storeId)
    expect(stdout).toContain(`vcash store set ${storeId} --rotate-tokens`)
    expect(stdout).toContain('--show-signing-secret')
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['listening', 'check', 'stopping: finishing in-flight requests']))
    expect(lines.find((l) => l.msg === 'check')).toMatchObject({store: storeId, outcome: 'not_found', phone: '010****5678'})
  })

  it('--log-format pretty to a file: readable lines, still no colour', async () => {
    const dir = tempDir()
    const env = cliEnv()
    delete env.NO_COLOR
    const s = await startServe(['--data-dir', dir, '--log-format', 'pretty'], env)
    children.push(s.child)
    await check({url: s.ready.url, storeId: s.ready.dev_store!.id}, {phone: '01099999999', amount: '5'})
    await until(() => `the check logged (stderr: ${s.stderr()})`, () => s.stderr().includes(' check '), 15_000)
    expect(s.stderr()).toMatch(/^\S+Z INFO {2}check store=st_\S+ outcome=not_found phone=010\*{4}9999 amount=5 ip=127\.0\.0\.1$/m)
    expect(s.stderr()).not.toContain('\u001B[')
  })
})

describe('per stream, on a real terminal (script(1))', () => {
  /** `serve` with one stream on a pty and the other redirected to a file; answers the terminal's transcript and the file. */
  async function onTerminal(redirect: '>' | '2>', env: Record<string, string | undefined>): Promise<{terminal: string; file: string}> {
    const dir = tempDir()
    const file = `${dir}.${redirect === '>' ? 'out' : 'err'}`
    const e: NodeJS.ProcessEnv = {...cliEnv(), TERM: 'xterm-256color', ...env}
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k]
    const child = spawn('script', ['-qfec', `exec "${process.execPath}" "${BIN}" serve --port 0 --data-dir "${dir}" ${redirect} "${file}"`, '/dev/null'], {env: e, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe']})
    children.push(child)
    let terminal = ''
    child.stdout!.on('data', (d: Buffer) => (terminal += d.toString()))
    await until(() => `the banner and the listening line (terminal: ${terminal})`, () => {
      const f = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
      return (terminal + f).includes('Ctrl-C') && (terminal + f).includes('listening') && /"msg":"listening"|INFO/.test(terminal + f)
    }, 15_000)
    child.kill('SIGKILL')
    return {terminal, file: fs.readFileSync(file, 'utf8')}
  }

  it('logs on a terminal are pretty and coloured; the banner in a file has no secret and no colour', async () => {
    const {terminal, file} = await onTerminal('>', {NO_COLOR: undefined})
    expect(terminal).toContain('\u001B[32mINFO \u001B[39m listening')
    // Output to a file is a service's journal: no development store is made, and it says how to add one.
    expect(file).toMatch(/No store in .* yet/)
    expect(file).not.toMatch(/\bv[kd]_|whsec_/)
    expect(file).not.toContain('\u001B[')
  })

  it('NO_COLOR turns the terminal\'s colour off', async () => {
    const {terminal} = await onTerminal('>', {NO_COLOR: '1'})
    expect(terminal).toMatch(/INFO {2}listening/)
    expect(terminal).not.toContain('\u001B[')
  })

  it('the banner on a terminal shows the secrets once; logs in a file are json without colour', async () => {
    const {terminal, file} = await onTerminal('2>', {NO_COLOR: undefined})
    expect(terminal).toMatch(/API token\s+vk_/)
    expect(terminal).toMatch(/signing secret\s+whsec_/)
    for (const line of file.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow()
    expect(file).not.toContain('\u001B[')
    expect(file).not.toMatch(/\bv[kd]_|whsec_/)
  })
})

describe('the default fd limit (1,024) and 1,200 idle connections', () => {
  it('checks and SMS are still answered at once', async () => {
    const dir = tempDir()
    // As systemd starts it: the soft limit of 1,024 descriptors, the default cap of 800 connections.
    const child = spawn('bash', ['-c', `ulimit -n 1024 && exec "${process.execPath}" "${BIN}" serve --port 0 --json --dev-store --show-dev-secrets --data-dir "${dir}"`], {env: cliEnv(), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    children.push(child)
    let outText = ''
    let errText = ''
    child.stdout!.on('data', (d: Buffer) => (outText += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (errText += d.toString()))
    const ready = JSON.parse(await until(() => `the ready line (stderr: ${errText})`, () => (outText.includes('\n') ? outText.split('\n')[0] : undefined), 15_000)) as ServeChild['ready']
    const port = Number(new URL(ready.url).port)
    const sockets: net.Socket[] = []
    try {
      for (let i = 0; i < 1200; i++) {
        const s = net.connect(port, '127.0.0.1')
        s.on('error', () => {})
        sockets.push(s)
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20))
      }
      await new Promise((r) => setTimeout(r, 300))
      const started = Date.now()
      const sms = await postSms({url: ready.url, deviceToken: ready.dev_store!.device_token}, VF_R1('01012345678', '42', ref()))
      expect(sms.status).toBe(201)
      const claim = await check({url: ready.url, storeId: ready.dev_store!.id}, {phone: '01012345678', amount: '42'})
      expect(claim.json.status).toBe(true)
      expect(Date.now() - started).toBeLessThan(3000)
      expect(errText).toMatch(/connection limit reached/)
      expect(errText).not.toMatch(/EMFILE/)
    } finally {
      for (const s of sockets) s.destroy()
    }
  }, 60_000)
})
