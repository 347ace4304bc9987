// node bench/floor.js [--duration s]: what share of the ceiling a server can reach at all, given
// how much CPU its request costs beyond the ceiling's.
//
// The ceiling (bench/ceiling.js) answers a fixed body and does nothing else. This runs the same
// server with N µs of busy work added to every request (N = 0, 5, 10, 20, 40, 80), loaded the way
// bench/run.js loads vcash (autocannon in this process, 50 connections, loopback, both sharing
// the machine's cores), and prints each rate as a share of N = 0 measured in the same run,
// with the server's own CPU per request (/proc) and its time in writev (a CPU profile).
//
// Why it exists: on a 2-core machine the load generator and the server share the cores, and a
// response's writev wakes the load generator. A server that is slower keeps the generator idle
// more often, and every write then pays a wake-up. A request's extra work therefore costs more
// than itself. This measures that floor instead of guessing it.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import autocannon from 'autocannon'

const args = process.argv.slice(2)
const DURATION = args.includes('--duration') ? Number(args[args.indexOf('--duration') + 1]) : 6
const SPINS = [0, 5, 10, 20, 40, 80]
const TICK_US = 1e6 / 100 // USER_HZ

// The ceiling's server, with the busy work before the answer.
const SERVER = `
import http from 'node:http'
const spin = BigInt(Number(process.argv[1]) * 1000)
const body = JSON.stringify({status: false, code: 'not_found', message: 'No matching transfer found yet. Check the phone number and amount, or try again in a minute.'})
http.createServer((req, res) => {
  const end = process.hrtime.bigint() + spin
  while (process.hrtime.bigint() < end) {}
  res.writeHead(200, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body)})
  res.end(body)
}).listen(0, '127.0.0.1', function () { process.stdout.write(JSON.stringify({url: 'http://127.0.0.1:' + this.address().port}) + '\\n') })
process.on('SIGTERM', () => process.exit(0))
`

function cpuUs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * TICK_US
}

async function run(spinUs) {
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-floor-'))
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--input-type=module', '-e', SERVER, String(spinUs)], {stdio: ['ignore', 'pipe', 'inherit']})
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d)).url))
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)))
  })
  const c0 = cpuUs(child.pid)
  const r = await autocannon({url, connections: 50, duration: DURATION})
  const cpu = (cpuUs(child.pid) - c0) / r.requests.total
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
  let writev = 0
  if (file) {
    const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'))
    const name = new Map(prof.nodes.map((n) => [n.id, n.callFrame.functionName]))
    prof.samples.forEach((id, k) => {
      if (name.get(id) === 'writev') writev += prof.timeDeltas[k] ?? 0
    })
  }
  fs.rmSync(profDir, {recursive: true, force: true})
  return {rps: Math.round(r.requests.total / DURATION), cpu_us: Math.round(cpu), writev_us: Number((writev / r.requests.total).toFixed(1)), p99_ms: r.latency.p99}
}

const rows = []
for (const spin of SPINS) rows.push({spin, ...(await run(spin))})
const base = rows[0].rps
console.log('| added work per request | rate | share of the ceiling | server CPU per request | of which writev | p99 |')
console.log('|---|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.spin} µs | ${r.rps}/s | ${Math.round((r.rps / base) * 100)}% | ${r.cpu_us} µs | ${r.writev_us} µs | ${r.p99_ms} ms |`)
