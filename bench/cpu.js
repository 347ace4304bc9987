// node bench/cpu.js [n]: server CPU time per request (user+sys of the server process, from
// /proc), per scenario, beside a bare node:http server's. Robust to a busy machine in a way
// requests per second are not: it counts the work a request costs, not how fast it got a core.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import autocannon from 'autocannon'

import {BENCH_TOKENS, seedDataDir} from './seed.js'

// Dated now, no balance line: the age gate and the balance chain would hold anything else.
const cairoNow = () => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).formatToParts(new Date()).map((x) => [x.type, x.value]))
  return `${p.hour}:${p.minute} ${p.year}-${p.month}-${p.day}`
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const N = Number(process.argv[2] ?? 20_000)
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

async function measure(pid, url, requests, amount) {
  await autocannon({url, connections: 20, amount: Math.min(2000, amount), requests}) // warm-up
  const c0 = cpuUs(pid)
  const r = await autocannon({url, connections: 50, amount, requests})
  const c1 = cpuUs(pid)
  return {us_per_request: Math.round((c1 - c0) / r.requests.total), p99_ms: r.latency.p99, non2xx: r.non2xx}
}

const ceil = await start(path.join(ROOT, 'bench/ceiling.js'), [])
const out = {ceiling: await measure(ceil.child.pid, ceil.url, [{method: 'GET', path: '/'}], N)}
ceil.child.kill()
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-cpu-'))
await seedDataDir(dir, 100_000)
const srv = await start(path.join(ROOT, 'bin/run.js'), ['serve', '--data-dir', dir, '--port', '0', '--json', '--failed-check-limit', '1000000000', '--log-level', 'warn'])
let i = 0
const phone = (k) => `011${String(10_000_000 + k).slice(-8)}`
const body = (p, ref) => `تم استلام مبلغ 50 جنيه من رقم ${p} المسجل بإسم Bench Payer على رقم محفظتك  01000000002.\nتاريخ العملية: ${cairoNow()}\nرقم العملية: ${ref}\n`
const sms = (req) => ({...req, method: 'POST', path: '/api/sms', headers: {authorization: `Bearer ${BENCH_TOKENS.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: body(phone(i), String(800_000_000_000 + i++))})})
out.check_miss = await measure(srv.child.pid, srv.url, [{setupRequest: (req) => ({...req, method: 'GET', path: `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=012${String(i++).padStart(8, '0')}&amount=1&user_name=x`})}], N)
const firstIngest = i
out.ingest = await measure(srv.child.pid, srv.url, [{setupRequest: sms}], N)
let h = firstIngest + Math.min(2000, N)
out.check_hit = await measure(srv.child.pid, srv.url, [{setupRequest: (req) => ({...req, method: 'GET', path: `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=${phone(h++)}&amount=50&user_name=u`})}], N - 2500)
srv.child.kill()
for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(12)} ${String(v.us_per_request).padStart(5)} µs CPU/request  (${Math.round((out.ceiling.us_per_request / v.us_per_request) * 100)}% of ceiling's cost)  p99 ${v.p99_ms} ms  non2xx ${v.non2xx}`)
fs.rmSync(dir, {recursive: true, force: true})
