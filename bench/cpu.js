// node bench/cpu.js [n] [--database postgres]: server CPU time per request (user+sys of the
// server process, from /proc), per scenario, beside a bare node:http server's. Robust to a busy
// machine in a way requests per second are not: it counts the work a request costs, not how fast
// it got a core. With --database postgres: the server on a throwaway cluster (fsync on), and the
// CPU of PostgreSQL's own processes per request beside it.
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import autocannon from 'autocannon'
import pg from 'pg'

import {BENCH_TOKENS, seedDataDir} from './seed.js'
import {findPgBin, startCluster} from '../scripts/pg-cluster.js'

// Dated now, no balance line: the age gate and the balance chain would hold anything else.
const cairoNow = () => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).formatToParts(new Date()).map((x) => [x.type, x.value]))
  return `${p.hour}:${p.minute} ${p.year}-${p.month}-${p.day}`
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 20_000)
const POSTGRES = args.includes('--database') && args[args.indexOf('--database') + 1] === 'postgres'
const TICK_US = 1e6 / 100 // USER_HZ

function cpuUs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * TICK_US
}

function start(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cmd, ...args], {env: {...process.env, NODE_ENV: 'production', NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve({child, url: JSON.parse(out.split('\n')[0]).url})
    })
    child.on('exit', (c) => reject(new Error(`exited ${c}`)))
  })
}

/** PostgreSQL's processes (the postmaster's backends run as the postgres user, or as us). */
function databaseUs(cluster) {
  if (!cluster) return 0
  const pids = spawnSync('pgrep', ['-x', 'postgres'], {encoding: 'utf8'}).stdout.trim().split('\n').filter(Boolean)
  return pids.reduce((n, p) => {
    try {
      return n + cpuUs(p)
    } catch {
      return n // exited meanwhile
    }
  }, 0)
}

async function measure(pid, url, requests, amount, cluster = null) {
  await autocannon({url, connections: 20, amount: Math.min(2000, amount), requests}) // warm-up
  const [c0, d0, t0] = [cpuUs(pid), databaseUs(cluster), Date.now()]
  const r = await autocannon({url, connections: 50, amount, requests})
  const [c1, d1, t1] = [cpuUs(pid), databaseUs(cluster), Date.now()]
  return {us_per_request: Math.round((c1 - c0) / r.requests.total), db_us_per_request: cluster ? Math.round((d1 - d0) / r.requests.total) : undefined, rps: Math.round(r.requests.total / ((t1 - t0) / 1000)), p99_ms: r.latency.p99, non2xx: r.non2xx}
}

const ceil = await start(path.join(ROOT, 'bench/ceiling.js'), [])
const out = {ceiling: await measure(ceil.child.pid, ceil.url, [{method: 'GET', path: '/'}], N)}
ceil.child.kill()
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-cpu-'))
await seedDataDir(dir, 100_000)
let cluster = null
let database = []
if (POSTGRES) {
  const bin = findPgBin()
  if (!bin) throw new Error('--database postgres needs PostgreSQL installed (Debian: apt-get install postgresql)')
  cluster = await startCluster(bin, {durable: true})
  const admin = new pg.Client({connectionString: cluster.url})
  await admin.connect()
  await admin.query('create database vcash_cpu')
  await admin.end()
  const u = new URL(cluster.url)
  u.pathname = '/vcash_cpu'
  const copy = spawnSync(process.execPath, [path.join(ROOT, 'bin/run.js'), 'db', 'copy', '--from', dir, '--to', u.toString(), '--json'], {encoding: 'utf8'})
  if (copy.status !== 0) throw new Error(`db copy failed: ${copy.stdout}${copy.stderr}`)
  database = ['--database-url', u.toString(), '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-cpu-inst-'))]
}
const srv = await start(path.join(ROOT, 'bin/run.js'), ['serve', ...(POSTGRES ? database : ['--data-dir', dir]), '--port', '0', '--json', '--failed-check-limit', '1000000000', '--log-level', 'warn'])
let i = 0
const phone = (k) => `011${String(10_000_000 + k).slice(-8)}`
const body = (p, ref) => `تم استلام مبلغ 50 جنيه من رقم ${p} المسجل بإسم Bench Payer على رقم محفظتك  01000000002.\nتاريخ العملية: ${cairoNow()}\nرقم العملية: ${ref}\n`
const sms = (req) => ({...req, method: 'POST', path: '/api/sms', headers: {authorization: `Bearer ${BENCH_TOKENS.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: body(phone(i), String(800_000_000_000 + i++))})})
out.check_miss = await measure(srv.child.pid, srv.url, [{setupRequest: (req) => ({...req, method: 'GET', path: `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=012${String(i++).padStart(8, '0')}&amount=1&user_name=x`})}], N, cluster)
const firstIngest = i
out.ingest = await measure(srv.child.pid, srv.url, [{setupRequest: sms}], N, cluster)
let h = firstIngest + Math.min(2000, N)
out.check_hit = await measure(srv.child.pid, srv.url, [{setupRequest: (req) => ({...req, method: 'GET', path: `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=${phone(h++)}&amount=50&user_name=u`})}], N - 2500, cluster)
srv.child.kill()
await new Promise((r) => srv.child.once('exit', r))
cluster?.stop()
for (const [k, v] of Object.entries(out)) {
  const db = v.db_us_per_request === undefined ? '' : ` + PostgreSQL ${String(v.db_us_per_request).padStart(5)} µs`
  console.log(`${k.padEnd(12)} ${String(v.us_per_request).padStart(5)} µs CPU/request${db}  (${Math.round((out.ceiling.us_per_request / v.us_per_request) * 100)}% of ceiling's cost)  ${v.rps}/s  p99 ${v.p99_ms} ms  non2xx ${v.non2xx}`)
}
fs.rmSync(dir, {recursive: true, force: true})
