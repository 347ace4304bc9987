/**
 * docs/deploy.md's road from a laptop to a server: a fresh production server (no terminal)
 * creates no development store and prints no secret; the store made on the laptop moves with
 * `vcash store export` / `vcash store import`, and the phone's token and the site's signing
 * secret keep working on the server, without a secret in the server's output.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {BIN, check, cliEnv, postSms, ROOT, runCli, type ServeChild, startServe, tempDir, VF_R1} from '../support/vcash.js'

const children: ServeChild[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL')
})

/** A `vcash serve` as systemd starts it: no terminal, no --dev, no --json. Resolves once it listens. */
function serveLikeSystemd(dataDir: string): Promise<{child: ReturnType<typeof spawn>; url: string; output: () => string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {env: cliEnv(), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000)
    const onData = (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m && /Ctrl-C to stop/.test(out)) {
        clearTimeout(timer)
        resolve({child, url: m[1]!, output: () => out})
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
  })
}

describe('from a laptop to a server', () => {
  it('a fresh server without a terminal creates no development store and prints no secret', async () => {
    const dir = tempDir()
    const s = await serveLikeSystemd(dir)
    try {
      expect(s.output()).not.toMatch(/development store|whsec_|vk_|vd_/)
      expect(s.output()).toMatch(/No store in .* yet.*vcash store import/s)
      const list = await runCli(['store', 'list', '--data-dir', dir, '--json'])
      expect(JSON.parse(list.stdout)).toEqual(expect.objectContaining({stores: []}))
    } finally {
      s.child.kill('SIGTERM')
    }
    // --json on such a server says so too.
    const j = await startServe(['--data-dir', tempDir(), '--no-dev-store'], cliEnv())
    children.push(j)
    expect(j.ready.dev_store).toBeNull()
  })

  it('on a terminal (or with --dev) it still creates one, and says why', async () => {
    const dir = tempDir()
    // `script` gives the server a pseudo-terminal, as a person typing `vcash serve` has.
    const child = spawn('script', ['-qec', `${process.execPath} ${BIN} serve --port 0 --data-dir ${dir}`, '/dev/null'], {env: cliEnv(), cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const end = Date.now() + 20_000
    while (!/Ctrl-C to stop/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    child.kill('SIGKILL')
    expect(out).toMatch(/Created a development store \(the data dir was empty and this is a terminal; --no-dev-store to skip\)/)
    expect(out).toMatch(/signing secret whsec_/)
  })

  it('store export on the laptop, store import on the running server: the phone and the site keep their secrets', async () => {
    const laptop = tempDir('vcash-laptop-')
    const init = await runCli(['store', 'init', '--data-dir', laptop, '--name', 'Shop', '--callback', 'webhook', '--callback-url', 'https://shop.example.com/hooks/vcash', '--json'])
    expect(init.code, init.stderr).toBe(0)
    const made = JSON.parse(init.stdout) as {id: string; token: string; device_token: string; signing_secret: string}
    const file = path.join(laptop, 'store.json')
    const exp = await runCli(['store', 'export', made.id, '--data-dir', laptop, '--out', file])
    expect(exp.code, exp.stderr).toBe(0)
    expect(exp.stdout + exp.stderr).not.toMatch(/whsec_|vk_|vd_/)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as {format: string; store: {signing_secret: string; api_token_hash?: string}}
    expect(doc.format).toBe('vcash-store/1')
    expect(doc.store.signing_secret).toBe(made.signing_secret)
    expect(doc.store.api_token_hash).toMatch(/^[0-9a-f]{64}$/)
    // The plain tokens are never in the file (only their hashes).
    expect(fs.readFileSync(file, 'utf8')).not.toContain(made.token)

    const serverDir = tempDir('vcash-server-')
    const s = await serveLikeSystemd(serverDir)
    try {
      const imp = await runCli(['store', 'import', file, '--data-dir', serverDir])
      expect(imp.code, imp.stderr).toBe(0)
      expect(imp.stdout + imp.stderr).not.toMatch(/whsec_|vk_|vd_/)
      // The running server serves it at once: the phone's token from the laptop posts SMS there.
      const sms = await postSms({url: s.url, deviceToken: made.device_token}, VF_R1('01012345678', '150', '551234567890'))
      expect(sms.status).toBe(201)
      expect((await check({url: s.url, storeId: made.id}, {phone: '01012345678', amount: '150', user_name: '7'})).json.status).toBe(true)
      const shown = await runCli(['store', 'show', made.id, '--data-dir', serverDir, '--show-signing-secret', '--json'])
      expect((JSON.parse(shown.stdout) as {signing_secret: string}).signing_secret).toBe(made.signing_secret)
      const twice = await runCli(['store', 'import', file, '--data-dir', serverDir, '--json'])
      expect(twice.code).toBe(73)
      expect(JSON.parse(twice.stdout)).toMatchObject({code: 'store_exists'})
      // Nothing secret reached the server's output (its journal).
      expect(s.output()).not.toContain(made.signing_secret)
      expect(s.output()).not.toContain(made.device_token)
    } finally {
      s.child.kill('SIGTERM')
    }

    // Without tokens: the import issues new ones, once; the laptop's device token does not work there.
    const bare = path.join(laptop, 'bare.json')
    expect((await runCli(['store', 'export', made.id, '--data-dir', laptop, '--out', bare, '--without-tokens'])).code).toBe(0)
    expect(fs.readFileSync(bare, 'utf8')).not.toContain('token_hash')
    const other = tempDir('vcash-server2-')
    const imp2 = await runCli(['store', 'import', '-', '--data-dir', other, '--json'], {input: fs.readFileSync(bare, 'utf8')})
    expect(imp2.code, imp2.stderr).toBe(0)
    const issued = JSON.parse(imp2.stdout) as {token: string; device_token: string}
    expect(issued.device_token).toMatch(/^vd_/)
    expect(issued.device_token).not.toBe(made.device_token)

    // A damaged file is refused with the field that is wrong.
    fs.writeFileSync(path.join(laptop, 'bad.json'), JSON.stringify({...doc, store: {...doc.store, signing_secret: 'hunter2'}}))
    const bad = await runCli(['store', 'import', path.join(laptop, 'bad.json'), '--data-dir', tempDir(), '--json'])
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout)).toMatchObject({code: 'invalid_input'})
    expect(bad.stdout).toContain('store.signing_secret')
    expect(bad.stdout).not.toContain('hunter2')
  }, 60_000)
})
