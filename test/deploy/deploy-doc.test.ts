/**
 * docs/deploy.md's export and install steps, taken from the doc: the `vcash export all` command
 * runs as written, and every file the `install` lines copy exists, is the right one for where it
 * goes (issue #10: the guide installed Docker's vcash.env for systemd), and passes its validator.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {BIN, cliEnv, realTool, ROOT, tempDir} from '../support/vcash.js'

const DOC = fs.readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8')

/** The shell blocks of a section of the doc, joined, with `\` continuations joined too. */
function commands(section: string): string[] {
  const start = DOC.indexOf(`## ${section}`)
  expect(start, `docs/deploy.md has a "## ${section}" section`).toBeGreaterThanOrEqual(0)
  const end = DOC.indexOf('\n## ', start + 3)
  const text = DOC.slice(start, end < 0 ? undefined : end)
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
  return blocks.join('\n').replace(/\\\n\s*/g, '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
}

describe('docs/deploy.md', () => {
  it('exports with the command it shows, and installs the systemd, env and nginx files meant for each place', () => {
    const home = tempDir('vcash-deploydoc-')
    const bin = path.join(home, 'bin')
    fs.mkdirSync(bin)
    fs.symlinkSync(BIN, path.join(bin, 'vcash'))
    const dataDir = path.join(home, 'data')
    const env = cliEnv({HOME: home, PATH: `${bin}:${process.env.PATH}`, VCASH_DATA_DIR: dataDir})
    spawnSync(process.execPath, [BIN, 'store', 'init', '--name', 'Shop', '--callback', 'none', '--json'], {env, encoding: 'utf8'})

    const section5 = commands('5. The configuration files')
    const exportCmd = section5.find((c) => c.startsWith('vcash export all'))!
    expect(exportCmd).toBeDefined()
    const r = spawnSync('bash', ['-ec', exportCmd], {env, encoding: 'utf8'})
    expect(r.status, r.stderr).toBe(0)
    const out = path.join(home, 'vcash-deploy')

    const installs = section5.filter((c) => c.startsWith('sudo install')).map((c) => c.split(/\s+/).slice(-2) as [string, string])
    expect(installs.length).toBeGreaterThanOrEqual(3)
    const installed = Object.fromEntries(installs.map(([from, to]) => [to, fs.readFileSync(path.join(out, from), 'utf8')]))
    const unit = installed['/etc/systemd/system/vcash.service']!
    const settings = installed['/etc/vcash/vcash.env']!
    const site = installed['/etc/nginx/sites-available/vcash']!
    expect(settings).toMatch(/^VCASH_DATA_DIR=\/var\/lib\/vcash$/m)
    expect(settings).toMatch(/^VCASH_HOST=127\.0\.0\.1$/m)
    expect(settings).toMatch(/^VCASH_TRUST_PROXY=127\.0\.0\.1$/m)
    expect(unit).toMatch(/^User=vcash$/m)
    expect(unit).toMatch(/^EnvironmentFile=-\/etc\/vcash\/vcash\.env$/m)
    expect(unit).toContain(`ExecStart=${process.execPath} /opt/vcash/bin/run.js serve`)
    expect(site).toContain('ssl_certificate     /etc/letsencrypt/live/pay.example.com/fullchain.pem;')
    expect(site).toContain('location ~* ^/(admin|metrics)')
    // The user the unit runs as is the one the guide creates.
    expect(commands('3. The service user').join('\n')).toMatch(/useradd --system .* vcash$/m)
  })

  it.skipIf(!realTool('systemd-analyze', spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0))('the unit it installs passes systemd-analyze verify', () => {
    const home = tempDir('vcash-deploydoc-')
    const r = spawnSync(process.execPath, [BIN, 'export', 'systemd', '--out', home, '--node-path', process.execPath, '--json'], {env: cliEnv(), encoding: 'utf8'})
    expect(r.status, r.stderr).toBe(0)
    const v = spawnSync('systemd-analyze', ['verify', path.join(home, 'systemd/vcash.service')], {encoding: 'utf8'})
    expect(v.stderr.trim()).toBe('')
    expect(v.status).toBe(0)
  })
})
