// node bench/profile.js miss|hit|ingest [n]: a CPU profile of `vcash serve` under one bench load,
// summarised as the top functions by self time (where a request's time goes).
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
const kind = process.argv[2] ?? 'miss'
const n = Number(process.argv[3] ?? 10_000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-prof-'))
const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-cpuprof-'))
await seedDataDir(dir, n)
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, path.join(ROOT, 'bin/run.js'), 'serve', '--data-dir', dir, '--port', '0', '--json', '--failed-check-limit', '1000000000', '--log-level', 'warn'], {env: {...process.env, NODE_ENV: 'production', NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'inherit']})
const ready = await new Promise((resolve) => {
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]))
  })
})
const url = ready.url
let i = 0
const phone = (k) => `011${String(10_000_000 + k).slice(-8)}`
const body = (p, ref) => `تم استلام مبلغ 50 جنيه من رقم ${p} المسجل بإسم Bench Payer على رقم محفظتك  01000000002.\nتاريخ العملية: ${cairoNow()}\nرقم العملية: ${ref}\n`
const sms = (req) => ({...req, method: 'POST', path: '/api/sms', headers: {authorization: `Bearer ${BENCH_TOKENS.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: body(phone(i), String(800_000_000_000 + i++))})})
const check = (p) => `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=${p}&amount=50&user_name=u`
let requests
if (kind === 'miss') requests = [{setupRequest: (req) => ({...req, method: 'GET', path: `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=012${String(i++).padStart(8, '0')}&amount=1&user_name=x`})}]
else if (kind === 'ingest') requests = [{setupRequest: sms}]
else {
  for (let k = 0; k < 30_000; k += 200) await Promise.all(Array.from({length: 200}, () => fetch(url + '/api/sms', sms({})).then((r) => r.arrayBuffer())))
  let h = 0
  requests = [{setupRequest: (req) => ({...req, method: 'GET', path: check(phone(h++))})}]
}
const r = await autocannon({url, connections: 50, ...(kind === 'hit' ? {amount: 29_000} : {duration: 8}), requests})
console.log(`${kind}: ${Math.round(r.requests.average)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx}`)
child.kill('SIGINT')
await new Promise((res) => child.once('exit', res))
const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'))
const self = new Map()
const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]))
const dt = new Map()
for (let k = 0; k < prof.samples.length; k++) dt.set(prof.samples[k], (dt.get(prof.samples[k]) ?? 0) + (prof.timeDeltas[k] ?? 0))
let total = 0
for (const [id, t] of dt) {
  const nd = byId.get(id)
  const cf = nd.callFrame
  const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/^.*node_modules\//, 'nm/').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${cf.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + t)
  total += t
}
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)
for (const [k, t] of top) console.log(`${(t / total * 100).toFixed(1).padStart(5)}%  ${k}`)
fs.rmSync(dir, {recursive: true, force: true})
