/**
 * The package a merchant installs: `npm pack` (its prepack builds dist/), then docs/simulate.md's
 * CI recipe, run line by line exactly as the doc writes it, in a temporary merchant repository,
 * and the workflow's `run:` steps in a clean clone of that repository; then docs/deploy.md's
 * server install (the tarball extracted, `npm install --omit=dev`).
 *
 * No network: npm's registry is a loopback mirror of this repository's lockfile served from the
 * local npm cache (test/package/registry.ts), npm uses a fresh cache of its own, every other
 * address goes through a proxy on a dead port, and better-sqlite3's install finds this
 * repository's own build as a local prebuild (prebuild-install's `local-prebuilds`), so it
 * neither downloads a binary nor compiles for two minutes.
 */
import {execFileSync, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {startLocalRegistry, type LocalRegistry} from './registry.js'
import {ROOT, tempDir} from '../support/vcash.js'

const DOC = path.join(ROOT, 'docs/simulate.md')

/** The fenced block right after `<!-- ci-recipe:NAME … -->` in the doc. */
export function recipeBlock(doc: string, name: string): string {
  const m = new RegExp(`<!-- ci-recipe:${name}\\b[^>]*-->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(doc)
  if (!m) throw new Error(`docs/simulate.md has no ci-recipe:${name} block`)
  return m[1]!
}

interface Ran {
  cmd: string
  code: number | null
  out: string
  ms: number
}

function sh(cmd: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Ran> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', cmd], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({cmd, code, out, ms: Date.now() - started})
    })
  })
}

/** A copy of the project's sources (no dist/, no .git), so packing builds there and never disturbs this checkout's dist/. */
function sourceCopy(dir: string): string {
  const copy = path.join(dir, 'vcash-src')
  fs.mkdirSync(copy)
  for (const name of fs.readdirSync(ROOT)) {
    if (['node_modules', 'dist', '.git', 'test', 'bench', 'coverage', 'test-artifacts'].includes(name)) continue
    fs.cpSync(path.join(ROOT, name), path.join(copy, name), {recursive: true})
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'))
  return copy
}

/** This checkout's compiled better-sqlite3, packed the way prebuild-install names a prebuilt binary. */
function localPrebuild(dir: string): string {
  const prebuilds = path.join(dir, 'prebuilds')
  const stage = path.join(dir, 'prebuild-stage')
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as {version: string}
  fs.mkdirSync(path.join(stage, 'build/Release'), {recursive: true})
  fs.mkdirSync(prebuilds)
  fs.copyFileSync(path.join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), path.join(stage, 'build/Release/better_sqlite3.node'))
  const name = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  execFileSync('tar', ['-czf', path.join(prebuilds, name), '-C', stage, 'build'])
  return prebuilds
}

let registry: LocalRegistry | null = null
afterAll(async () => {
  await registry?.close()
})

describe('the vcash tarball', () => {
  it('packs with dist/, installs from the tarball with no network, and docs/simulate.md\'s CI recipe passes as written', async () => {
    const t0 = Date.now()
    const dir = tempDir('vcash-tarball-')
    const home = path.join(dir, 'home')
    fs.mkdirSync(path.join(home, 'Downloads'), {recursive: true})

    // 1. npm pack: prepack builds dist/ in a copy of the sources.
    const src = sourceCopy(dir)
    const packEnv: NodeJS.ProcessEnv = {...process.env, npm_config_update_notifier: 'false'}
    delete packEnv.NODE_ENV
    delete packEnv.VITEST
    const pack = await sh(`npm pack --pack-destination ${JSON.stringify(path.join(home, 'Downloads'))} --json`, src, packEnv)
    expect(pack.code, pack.out).toBe(0)
    const tgz = fs.readdirSync(path.join(home, 'Downloads')).filter((f) => /^vcash-.*\.tgz$/.test(f))
    expect(tgz).toHaveLength(1)
    const listing = execFileSync('tar', ['-tzf', path.join(home, 'Downloads', tgz[0]!)], {encoding: 'utf8'}).split('\n')
    for (const f of ['package/bin/run.js', 'package/dist/commands/simulate/run.js', 'package/dist/commands/serve.js', 'package/oclif.manifest.json', 'package/package.json']) expect(listing).toContain(f)
    // Tests and sources do not ship.
    expect(listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/'))).toBe(false)
    const packMs = Date.now() - t0

    // 2. A merchant's repository, an npm that reaches only the loopback mirror.
    registry = await startLocalRegistry(path.join(ROOT, 'package-lock.json'))
    const shop = path.join(dir, 'shop')
    fs.mkdirSync(shop)
    fs.writeFileSync(path.join(shop, 'package.json'), `${JSON.stringify({name: 'shop', version: '1.0.0', private: true}, null, 2)}\n`)
    const env: NodeJS.ProcessEnv = {}
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VCASH_') && !k.startsWith('npm_') && !k.startsWith('VITEST') && k !== 'NODE_ENV') env[k] = v
    Object.assign(env, {
      HOME: home,
      NO_COLOR: '1',
      npm_config_registry: registry.url,
      npm_config_cache: path.join(dir, 'npm-cache'),
      npm_config_proxy: 'http://127.0.0.1:9',
      npm_config_https_proxy: 'http://127.0.0.1:9',
      npm_config_noproxy: '127.0.0.1',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_better_sqlite3_local_prebuilds: localPrebuild(dir),
      GIT_AUTHOR_NAME: 'Shop', GIT_AUTHOR_EMAIL: 'shop@example.com', GIT_COMMITTER_NAME: 'Shop', GIT_COMMITTER_EMAIL: 'shop@example.com',
    })
    expect((await sh('git init -q -b main', shop, env)).code).toBe(0)

    // 3. The recipe's setup lines, as written.
    const doc = fs.readFileSync(DOC, 'utf8')
    const setup = recipeBlock(doc, 'setup').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    expect(setup).toContain('npm install --save-dev ./vendor/vcash-*.tgz')
    const timings: Record<string, number> = {pack: packMs}
    for (const line of setup) {
      const r = await sh(line, shop, env)
      timings[line] = r.ms
      expect(r.code, `${line}\n${r.out}`).toBe(0)
    }
    expect(registry.missing).toEqual([])
    const lock = fs.readFileSync(path.join(shop, 'package-lock.json'), 'utf8')
    expect(lock).toMatch(/"vcash": "file:vendor\/vcash-[^"]+\.tgz"/)
    expect(fs.existsSync(path.join(shop, 'ci/payments.yaml'))).toBe(true)
    expect((await sh('git commit -q -m "vcash payments CI"', shop, env)).code).toBe(0)

    // 4. The workflow's run: steps, in order, in a clean clone (what actions/checkout gives).
    const clone = path.join(dir, 'clone')
    expect((await sh(`git clone -q ${JSON.stringify(shop)} ${JSON.stringify(clone)}`, dir, env)).code).toBe(0)
    expect(fs.existsSync(path.join(clone, 'node_modules'))).toBe(false)
    const workflow = YAML.parse(recipeBlock(doc, 'workflow')) as {jobs: Record<string, {steps: {run?: string; uses?: string; with?: Record<string, unknown>}[]}>}
    const steps = Object.values(workflow.jobs)[0]!.steps
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with).toMatchObject({'node-version': 24})
    const runs = steps.filter((s) => s.run).map((s) => s.run!)
    expect(runs).toEqual(['npm ci', 'npx vcash simulate run ci/payments.yaml --reporter junit --out junit.xml'])
    for (const cmd of runs) {
      const r = await sh(cmd, clone, {...env, CI: 'true'})
      timings[cmd] = r.ms
      expect(r.code, `${cmd}\n${r.out}`).toBe(0)
    }
    const junit = fs.readFileSync(path.join(clone, 'junit.xml'), 'utf8')
    expect(junit).toMatch(/<testsuite [^>]*failures="0"/)
    expect(junit).toMatch(/<testcase /)
    expect(registry.missing).toEqual([])

    // 5. docs/deploy.md's server install from the same tarball: extracted into /opt/vcash, then
    // `npm install --omit=dev` there (no lockfile in a tarball: ranges resolve like a merchant's).
    const opt = path.join(dir, 'opt-vcash')
    fs.mkdirSync(opt)
    execFileSync('tar', ['-xzf', path.join(home, 'Downloads', tgz[0]!), '-C', opt, '--strip-components=1'])
    const serverInstall = await sh('npm install --omit=dev --no-audit --no-fund', opt, env)
    timings['server: npm install --omit=dev'] = serverInstall.ms
    expect(serverInstall.code, serverInstall.out).toBe(0)
    expect(fs.existsSync(path.join(opt, 'node_modules/typescript'))).toBe(false)
    const scenario = JSON.stringify(path.join(dir, 'server-check.yaml'))
    const example = await sh(`node bin/run.js init-scenario ${scenario} >/dev/null && node bin/run.js simulate run ${scenario} --json`, opt, env)
    expect(example.code, example.out).toBe(0)
    expect(JSON.parse(example.out.slice(example.out.indexOf('{')))).toMatchObject({ok: true})
    expect(registry.missing).toEqual([])
    console.log('tarball test timings (ms):', JSON.stringify({...timings, total: Date.now() - t0}))
  }, 240_000)
})
