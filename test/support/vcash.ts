import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import type http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterEach} from 'vitest'

import {type ServeOptions, VcashServer} from '../../src/server/serve.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin/run.js')

export function tempDir(prefix = 'vcash-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export interface TestServer {
  server: VcashServer
  url: string
  dataDir: string
  storeId: string
  apiToken: string
  deviceToken: string
  close(): Promise<void>
}

/** A real server on a loopback port over a fresh data dir, in this process. */
export async function startServer(opts: {now?: () => Date; dataDir?: string} & Partial<ServeOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir()
  const server = await VcashServer.start({host: '127.0.0.1', port: 0, dev: true, trustProxy: [], ...opts, dataDir})
  const dev = server.devStore!
  return {
    server,
    url: server.url,
    dataDir,
    storeId: dev.store.id,
    apiToken: dev.apiToken,
    deviceToken: dev.deviceToken,
    close: () => server.close(),
  }
}

/** An empty config dir for spawned CLIs, so a developer's own `vcash config` profiles never leak into tests. */
const CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-config-'))

/** The CLI's environment: lowdb keeps data in memory only under NODE_ENV=test. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', VCASH_CONFIG_DIR: CONFIG_DIR, ...extra}
  delete env.NODE_ENV
  delete env.VITEST
  // CI=true (set by CI services) turns prompts off even on a terminal; a test that wants it sets it.
  if (extra.CI === undefined) delete env.CI
  if (extra.VCASH_PROFILE === undefined) delete env.VCASH_PROFILE
  return env
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(args: string[], opts: {env?: Record<string, string>; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  return spawnCli(args, {env: cliEnv(opts.env), input: opts.input, timeoutMs: opts.timeoutMs})
}

/** `bin/run.js` with exactly this environment; resolves when it exits. */
export function spawnCli(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: opts.env, cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(opts.input ?? '')
  })
}

export interface ServeChild {
  child: ChildProcess
  ready: {url: string; data_dir: string; dev_store: {id: string; api_token: string; device_token: string; signing_secret: string} | null}
  stderr: () => string
}

/** `vcash serve --json` as a child process; resolves with its ready line. */
export function spawnServe(dataDir: string, extraArgs: string[] = []): Promise<ServeChild> {
  return startServe(['--data-dir', dataDir, ...extraArgs], cliEnv())
}

/** `vcash serve --port 0 --json` with these arguments and exactly this environment (the dev store's secrets in its ready line). */
export function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<ServeChild> {
  return new Promise((resolve, reject) => {
    // Tests want the zero-setup store, which a server without a terminal no longer makes by itself.
    const devStore = args.includes('--dev-store') || args.includes('--no-dev-store') ? [] : ['--dev-store']
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--show-dev-secrets', ...devStore, ...args], {env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`serve did not start: ${err}`))
    }, 20_000)
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve({child, ready: JSON.parse(out.slice(0, nl)), stderr: () => err})
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}: ${err}${out}`))
    })
  })
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
}

/** "HH:MM YY-MM-DD" in Cairo, as Vodafone Cash prints the time of a transfer. */
export function cairoStamp(at: Date): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).formatToParts(at).map((x) => [x.type, x.value]))
  return `${p.hour}:${p.minute} ${p.year}-${p.month}-${p.day}`
}

/**
 * A VF-R1 receipt dated now (the age gate holds old ones) and without the balance line (each
 * test's receipts would otherwise contradict one another's balance chain; test/app/gates.test.ts
 * builds chains on purpose).
 */
export const VF_R1 = (phone: string, amount: string, ref: string, at = new Date()) =>
  `تم استلام مبلغ ${amount} جنيه من رقم ${phone} المسجل بإسم Ahmed S Example على رقم محفظتك  01000000002.\nتاريخ العملية: ${cairoStamp(at)}\nرقم العملية: ${ref}\n`

export async function postSms(t: {url: string; deviceToken: string}, body: string, sender = 'VF-Cash'): Promise<{status: number; json: Record<string, unknown>}> {
  const res = await fetch(`${t.url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${t.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender, body})})
  return {status: res.status, json: (await res.json()) as Record<string, unknown>}
}

export async function check(t: {url: string; storeId: string}, q: Record<string, string>, headers: Record<string, string> = {}): Promise<{status: number; json: Record<string, unknown>; headers: Headers}> {
  const params = new URLSearchParams({store_id: t.storeId, ...q})
  const res = await fetch(`${t.url}/api/payment_link_check?${params}`, {headers})
  return {status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers}
}

/** In CI (VCASH_REQUIRE_REAL_TOOLS=1) a missing real tool fails the run instead of skipping its tests. */
export function realTool(name: string, available: boolean): boolean {
  if (!available && process.env.VCASH_REQUIRE_REAL_TOOLS) throw new Error(`${name} is required in CI but is not available; .ci/run installs it`)
  return available
}

/**
 * The child processes (`vcash serve`, `vcash listen`…) and HTTP servers a test file starts: each
 * test's are stopped after it. `serveOn` starts `vcash serve --dev` on a database (PostgreSQL:
 * several instances share one) with a data dir of its own, for its admin.json, and answers
 * once it printed its ready line.
 */
export function stoppedAfterEach(): {children: {child: ChildProcess}[]; servers: http.Server[]; serveOn(databaseUrl: string, args?: string[], dataDir?: string): Promise<ServeChild>} {
  const children: {child: ChildProcess}[] = []
  const servers: http.Server[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGTERM')
        await waitExit(c.child)
      }
    }
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()))
  })
  const serveOn = async (databaseUrl: string, args: string[] = [], dataDir = tempDir()) => {
    const c = await startServe(['--database-url', databaseUrl, '--data-dir', dataDir, '--dev', ...args], cliEnv())
    children.push(c)
    return c
  }
  return {children, servers, serveOn}
}
