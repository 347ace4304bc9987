// npm run bench [-- --quick] [-- --sizes 1k,100k]
// Load from this process (autocannon) against `vcash serve` (NODE_ENV=production, a child
// process) over loopback, with the data dir pre-filled; every figure also as a ratio to a bare
// node:http server measured in the same run.
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import autocannon from 'autocannon'

import {BENCH_TOKENS, seedDataDir} from './seed.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const sizesArg = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : quick ? '1k' : '1k,100k'
const SIZES = sizesArg.split(',').map((s) => ({label: s, n: Number(s.replace(/k$/i, '000').replace(/m$/i, '000000'))}))
const DURATION = quick ? 3 : 10
const CONNECTIONS = 50

const env = {...process.env, NODE_ENV: 'production', NO_COLOR: '1'}
delete env.VITEST

function startChild(cmd, cmdArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cmd, ...cmdArgs], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve({child, ready: JSON.parse(out.slice(0, nl))})
    })
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${err}`)))
    setTimeout(() => reject(new Error(`${cmd} did not start in 300 s: ${err}`)), 300_000).unref()
  })
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : null
}

async function load(opts) {
  // A fixed number of requests (`amount`) or a fixed time, never both.
  const r = await autocannon({connections: CONNECTIONS, ...(opts.amount ? {} : {duration: DURATION}), ...opts})
  const non2xx = r.non2xx + r.errors + r.timeouts
  return {rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx, total: r.requests.total}
}

let seq = 0
const nextRef = () => String(900_000_000_000 + seq++)
const smsBody = (phone, amount, ref) => `تم استلام مبلغ ${amount} جنيه من رقم ${phone} المسجل بإسم Bench Payer على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: ${ref}\n`
const benchPhone = (i) => `011${String(10_000_000 + i).slice(-8)}`

async function measureVcash(url, ceilingRps) {
  const results = {}
  const checkPath = (phone, amount, user) => `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=${phone}&amount=${amount}&user_name=${user}`
  // Misses as a user's traffic looks: a different never-paid phone on every request.
  let m = 0
  const missPhone = () => `012${String(m++).padStart(8, '0')}`
  results.check_miss = await load({url, requests: [{setupRequest: (req) => ({...req, method: 'GET', path: checkPath(missPhone(), '1', 'x')})}]})
  results.check_miss.distinct_phones = m
  // …and a run of 200,000 distinct phones keeps its rate (the failed-check tracker stays cheap when full).
  if (!quick) {
    results.check_miss_200k = await load({url, requests: [{setupRequest: (req) => ({...req, method: 'GET', path: checkPath(missPhone(), '1', 'x')})}], amount: 200_000})
    results.check_miss_200k.distinct_phones = 200_000
  }

  // Hit: fresh PENDING transfers (at least 30,000 waiting), each request claims a different one;
  // a hit counts only when the answer is `status: true`.
  const hits = quick ? 30_000 : 60_000
  const prepared = []
  for (let i = 0; i < hits; i++) prepared.push({phone: benchPhone(i), amount: String(10 + (i % 1000))})
  const batch = 200
  for (let i = 0; i < hits; i += batch) {
    await Promise.all(prepared.slice(i, i + batch).map((p) => fetch(`${url}/api/sms`, {method: 'POST', headers: {authorization: `Bearer ${BENCH_TOKENS.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: smsBody(p.phone, p.amount, nextRef())})}).then((r) => r.arrayBuffer())))
  }
  let h = 0
  let paid = 0
  const started = Date.now()
  results.check_hit = await load({url, requests: [{
    setupRequest: (req) => ({...req, method: 'GET', path: checkPath(prepared[h % hits].phone, prepared[h++ % hits].amount, 'u')}),
    onResponse: (status, body) => {
      if (status === 200 && /"status":true/.test(body)) paid++
    },
  }], amount: hits - 1000})
  results.check_hit.pending_at_start = hits
  results.check_hit.paid = paid
  // Only `status: true` answers count as hits.
  results.check_hit.rps = Math.round(paid / ((Date.now() - started) / 1000))

  const ingestReq = (req) => ({...req, method: 'POST', path: '/api/sms', headers: {authorization: `Bearer ${BENCH_TOKENS.deviceToken}`, 'content-type': 'application/json'}, body: JSON.stringify({sender: 'VF-Cash', body: smsBody(benchPhone(500_000 + seq), '50', nextRef())})})
  results.ingest = await load({url, requests: [{setupRequest: ingestReq}]})

  let k = 0
  results.mix = await load({url, requests: [{setupRequest: (req) => (k++ % 5 === 0 ? ingestReq(req) : {...req, method: 'GET', path: checkPath('01099999999', '1', 'x')})}]})
  for (const r of Object.values(results)) r.ratio = Math.round((r.rps / ceilingRps) * 100) / 100
  return results
}

function timeCommand(cmd, cmdArgs, runs = 10) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    spawnSync(cmd, cmdArgs, {env, stdio: 'ignore'})
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  times.sort((a, b) => a - b)
  return Math.round(times[Math.floor(runs / 2)])
}

async function main() {
  const report = {date: new Date().toISOString(), machine: {cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version}, duration_s: DURATION, connections: CONNECTIONS, ceiling: null, sizes: {}, cli: {}}
  const ceil = await startChild(path.join(ROOT, 'bench/ceiling.js'), [])
  report.ceiling = await load({url: ceil.ready.url})
  ceil.child.kill('SIGTERM')
  console.error(`ceiling (bare node:http): ${report.ceiling.rps} req/s, p99 ${report.ceiling.p99} ms`)

  for (const size of SIZES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vcash-bench-${size.label}-`))
    const t0 = Date.now()
    await seedDataDir(dir, size.n)
    const seedMs = Date.now() - t0
    const t1 = Date.now()
    const srv = await startChild(path.join(ROOT, 'bin/run.js'), ['serve', '--data-dir', dir, '--port', '0', '--json', '--failed-check-limit', '1000000000', '--log-level', 'warn'])
    const startMs = Date.now() - t1
    const rssIdle = rssMb(srv.child.pid)
    const results = await measureVcash(srv.ready.url, report.ceiling.rps)
    const rss = rssMb(srv.child.pid)
    srv.child.kill('SIGTERM')
    await new Promise((r) => srv.child.once('exit', r))
    fs.rmSync(dir, {recursive: true, force: true})
    report.sizes[size.label] = {stored: size.n, seed_ms: seedMs, start_ms: startMs, rss_idle_mb: rssIdle, rss_mb: rss, ...results}
    console.error(`${size.label}: done`)
  }
  report.cli.node_e0_ms = timeCommand(process.execPath, ['-e', '0'])
  report.cli.vcash_help_ms = timeCommand(process.execPath, [path.join(ROOT, 'bin/run.js'), '--help'])
  report.cli.ratio = Math.round((report.cli.vcash_help_ms / report.cli.node_e0_ms) * 100) / 100

  const rows = [['scenario', ...SIZES.map((s) => `${s.label} stored`)]]
  for (const sc of ['check_miss', 'check_miss_200k', 'check_hit', 'ingest', 'mix']) {
    if (!SIZES.some((s) => report.sizes[s.label][sc])) continue
    rows.push([sc, ...SIZES.map((s) => {
      const r = report.sizes[s.label][sc]
      if (!r) return '-'
      return `${r.rps}/s (${Math.round(r.ratio * 100)}%) p50 ${r.p50} p99 ${r.p99} ms${r.non2xx ? ` [${r.non2xx} non-2xx]` : ''}`
    })])
  }
  rows.push(['server RSS', ...SIZES.map((s) => `${report.sizes[s.label].rss_mb} MB (idle ${report.sizes[s.label].rss_idle_mb} MB)`)])
  rows.push(['start-up', ...SIZES.map((s) => `${report.sizes[s.label].start_ms} ms`)])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const table = rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`)
  table.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  const text = [`ceiling (bare node:http, fixed JSON): ${report.ceiling.rps} req/s, p50 ${report.ceiling.p50} ms, p99 ${report.ceiling.p99} ms — ${CONNECTIONS} connections, ${DURATION} s each`, '', ...table, '', `check_hit: ${SIZES.map((s) => `${report.sizes[s.label].check_hit.pending_at_start} PENDING at the start (${s.label})`).join(', ')}; a hit counts only when the answer is status: true (${SIZES.map((s) => `${report.sizes[s.label].check_hit.paid} paid`).join(', ')}). check_miss: a different never-paid phone on every request.`, '', `vcash --help: ${report.cli.vcash_help_ms} ms vs node -e 0: ${report.cli.node_e0_ms} ms (${report.cli.ratio}×)`].join('\n')
  console.log(text)
  fs.mkdirSync(path.join(ROOT, 'bench/results'), {recursive: true})
  fs.writeFileSync(path.join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  fs.writeFileSync(path.join(ROOT, 'bench/results/latest.md'), `${text}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
