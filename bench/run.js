// npm run bench [-- --quick] [-- --sizes 1k,100k] [-- --database postgres]
// Load from this process (autocannon) against `vcash serve` (NODE_ENV=production, a child
// process) over loopback, with the data dir pre-filled; every figure also as a ratio to a bare
// node:http server measured in the same run.
// --database postgres: the same scenarios against `vcash serve --database-url` on a throwaway
// PostgreSQL cluster (durable: fsync on) that this process starts, with one instance and with two
// (the load split across both), the same data copied in with `vcash db copy`.
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import autocannon from 'autocannon'
import pg from 'pg'

import {BENCH_TOKENS, seedDataDir} from './seed.js'
import {findPgBin, startCluster} from '../scripts/pg-cluster.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const sizesArg = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : quick ? '1k' : '1k,100k'
const SIZES = sizesArg.split(',').map((s) => ({label: s, n: Number(s.replace(/k$/i, '000').replace(/m$/i, '000000'))}))
const DURATION = quick ? 3 : 10
const CONNECTIONS = 50
const DATABASE = args.includes('--database') ? args[args.indexOf('--database') + 1] : 'embedded'
if (!['embedded', 'postgres'].includes(DATABASE)) throw new Error(`--database ${DATABASE}: embedded or postgres`)
// One line per request at info: the bench reads stderr only when a server fails to start.
const SERVE_FLAGS = ['--port', '0', '--json', '--failed-check-limit', '1000000000', '--log-level', 'warn']

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

/** Load `urls` (the connections and requests split evenly across them) and sum what they served. */
async function load({urls, ...opts}) {
  // A fixed number of requests (`amount`) or a fixed time, never both.
  const rs = await Promise.all(urls.map((url) => autocannon({
    connections: Math.max(1, Math.round(CONNECTIONS / urls.length)),
    ...(opts.amount ? {} : {duration: DURATION}),
    ...opts,
    ...(opts.amount ? {amount: Math.ceil(opts.amount / urls.length)} : {}),
    url,
  })))
  const sum = (f) => rs.reduce((n, r) => n + f(r), 0)
  // Latencies: the worse of the instances' (percentiles do not add up).
  const worst = (f) => Math.max(...rs.map(f))
  return {rps: Math.round(sum((r) => r.requests.average)), p50: worst((r) => r.latency.p50), p99: worst((r) => r.latency.p99), non2xx: sum((r) => r.non2xx + r.errors + r.timeouts), total: sum((r) => r.requests.total)}
}

let seq = 0
const nextRef = () => String(900_000_000_000 + seq++)
// Receipts as a phone receives them now: dated now (the age gate holds old ones), and without a
// balance line (one made-up balance on every SMS would contradict the wallet's balance chain).
const cairoNow = () => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).formatToParts(new Date()).map((x) => [x.type, x.value]))
  return `${p.hour}:${p.minute} ${p.year}-${p.month}-${p.day}`
}
const smsBody = (phone, amount, ref) => `تم استلام مبلغ ${amount} جنيه من رقم ${phone} المسجل بإسم Bench Payer على رقم محفظتك  01000000002.\nتاريخ العملية: ${cairoNow()}\nرقم العملية: ${ref}\n`
const benchPhone = (i) => `011${String(10_000_000 + i).slice(-8)}`

async function measureVcash(urls, ceilingRps) {
  const url = urls[0]
  const results = {}
  const checkPath = (phone, amount, user) => `/api/payment_link_check?store_id=${BENCH_TOKENS.storeId}&phone=${phone}&amount=${amount}&user_name=${user}`
  // Misses as a user's traffic looks: a different never-paid phone on every request.
  let m = 0
  const missPhone = () => `012${String(m++).padStart(8, '0')}`
  results.check_miss = await load({urls, requests: [{setupRequest: (req) => ({...req, method: 'GET', path: checkPath(missPhone(), '1', 'x')})}]})
  results.check_miss.distinct_phones = m
  // …and a run of 200,000 distinct phones keeps its rate (the failed-check tracker stays cheap when full).
  if (!quick) {
    results.check_miss_200k = await load({urls, requests: [{setupRequest: (req) => ({...req, method: 'GET', path: checkPath(missPhone(), '1', 'x')})}], amount: 200_000})
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
  results.check_hit = await load({urls, requests: [{
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
  results.ingest = await load({urls, requests: [{setupRequest: ingestReq}]})

  let k = 0
  results.mix = await load({urls, requests: [{setupRequest: (req) => (k++ % 5 === 0 ? ingestReq(req) : {...req, method: 'GET', path: checkPath('01099999999', '1', 'x')})}]})
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

/** A new database on the cluster holding a copy of `dataDir` (made by `vcash db copy`, verified). */
async function copiedDatabase(adminUrl, dataDir, name) {
  const admin = new pg.Client({connectionString: adminUrl})
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  const t = Date.now()
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/run.js'), 'db', 'copy', '--from', dataDir, '--to', u.toString(), '--json'], {env, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`db copy failed: ${r.stdout}${r.stderr}`)
  return {url: u.toString(), copyMs: Date.now() - t, rows: JSON.parse(r.stdout).rows}
}

async function stopChild(srv) {
  srv.child.kill('SIGTERM')
  await new Promise((r) => srv.child.once('exit', r))
}

/** One and two `vcash serve --database-url` on a copy of the seeded data dir, each on a fresh database. */
async function measurePostgres(adminUrl, dir, size, ceilingRps) {
  const out = {stored: size.n}
  for (const n of [1, 2]) {
    const db = await copiedDatabase(adminUrl, dir, `vcash_bench_${size.label}_${n}`.toLowerCase())
    const t1 = Date.now()
    const srvs = []
    for (let i = 0; i < n; i++) srvs.push(await startChild(path.join(ROOT, 'bin/run.js'), ['serve', '--database-url', db.url, '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-bench-inst-')), ...SERVE_FLAGS]))
    const startMs = Date.now() - t1
    const results = await measureVcash(srvs.map((s) => s.ready.url), ceilingRps)
    const rss = srvs.map((s) => rssMb(s.child.pid))
    for (const s of srvs) await stopChild(s)
    out[n === 1 ? 'one' : 'two'] = {copy_ms: db.copyMs, copied_rows: db.rows, start_ms: startMs, rss_mb: rss.join('+'), ...results}
    console.error(`${size.label} postgres, ${n} instance(s): done`)
  }
  // The embedded store on the same seeded data, in the same run: the yardstick for PostgreSQL.
  const srv = await startChild(path.join(ROOT, 'bin/run.js'), ['serve', '--data-dir', dir, ...SERVE_FLAGS])
  out.embedded = {rss_mb: null, ...(await measureVcash([srv.ready.url], ceilingRps))}
  out.embedded.rss_mb = rssMb(srv.child.pid)
  await stopChild(srv)
  console.error(`${size.label} embedded: done`)
  return out
}

async function mainPostgres(report) {
  const bin = findPgBin()
  if (!bin) throw new Error('--database postgres needs PostgreSQL installed (Debian: apt-get install postgresql)')
  const cluster = await startCluster(bin, {durable: true})
  try {
    for (const size of SIZES) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vcash-bench-${size.label}-`))
      await seedDataDir(dir, size.n)
      report.sizes[size.label] = await measurePostgres(cluster.url, dir, size, report.ceiling.rps)
      fs.rmSync(dir, {recursive: true, force: true})
    }
  } finally {
    cluster.stop()
  }
  const cols = SIZES.flatMap((s) => [[s.label, 'one'], [s.label, 'two'], [s.label, 'embedded']])
  const heading = {one: 'PostgreSQL, 1 instance', two: 'PostgreSQL, 2 instances', embedded: 'embedded (same run)'}
  const rows = [['scenario', ...cols.map(([l, k]) => `${l} stored, ${heading[k]}`)]]
  for (const sc of ['check_miss', 'check_miss_200k', 'check_hit', 'ingest', 'mix']) {
    if (!cols.some(([l, k]) => report.sizes[l][k][sc])) continue
    rows.push([sc, ...cols.map(([l, k]) => {
      const r = report.sizes[l][k][sc]
      return r ? `${r.rps}/s (${Math.round(r.ratio * 100)}%) p50 ${r.p50} p99 ${r.p99} ms${r.non2xx ? ` [${r.non2xx} non-2xx]` : ''}` : '-'
    })])
  }
  rows.push(['server RSS', ...cols.map(([l, k]) => `${report.sizes[l][k].rss_mb} MB`)])
  rows.push(['start-up', ...cols.map(([l, k]) => (k === 'embedded' ? '-' : `${report.sizes[l][k].start_ms} ms`))])
  rows.push(['db copy', ...cols.map(([l, k]) => (k === 'embedded' ? '-' : `${report.sizes[l][k].copied_rows} rows in ${report.sizes[l][k].copy_ms} ms`))])
  // The target: durable check hits on PostgreSQL at ≥ 50% of the embedded store's, same run.
  const versus = SIZES.map((s) => {
    const z = report.sizes[s.label]
    const pct = (k) => Math.round((z[k].check_hit.rps / z.embedded.check_hit.rps) * 100)
    return `${s.label} stored: PostgreSQL check hits at ${pct('one')}% (1 instance) and ${pct('two')}% (2 instances) of the embedded store's`
  })
  const text = [`PostgreSQL (throwaway cluster on this machine, fsync on), ceiling (bare node:http): ${report.ceiling.rps} req/s — ${CONNECTIONS} connections in all, ${DURATION} s each; two instances: split across both, latencies the worse of the two`, '', ...mdTable(rows), '', ...versus].join('\n')
  console.log(text)
  fs.mkdirSync(path.join(ROOT, 'bench/results'), {recursive: true})
  fs.writeFileSync(path.join(ROOT, 'bench/results/postgres-latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  fs.writeFileSync(path.join(ROOT, 'bench/results/postgres-latest.md'), `${text}\n`)
}

function mdTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const table = rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`)
  table.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  return table
}

async function main() {
  const report = {date: new Date().toISOString(), machine: {cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version}, duration_s: DURATION, connections: CONNECTIONS, ceiling: null, sizes: {}, cli: {}}
  const ceil = await startChild(path.join(ROOT, 'bench/ceiling.js'), [])
  report.ceiling = await load({urls: [ceil.ready.url]})
  ceil.child.kill('SIGTERM')
  console.error(`ceiling (bare node:http): ${report.ceiling.rps} req/s, p99 ${report.ceiling.p99} ms`)
  if (DATABASE === 'postgres') {
    report.database = 'postgres'
    return mainPostgres(report)
  }

  for (const size of SIZES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vcash-bench-${size.label}-`))
    const t0 = Date.now()
    await seedDataDir(dir, size.n)
    const seedMs = Date.now() - t0
    const t1 = Date.now()
    const srv = await startChild(path.join(ROOT, 'bin/run.js'), ['serve', '--data-dir', dir, ...SERVE_FLAGS])
    const startMs = Date.now() - t1
    const rssIdle = rssMb(srv.child.pid)
    const results = await measureVcash([srv.ready.url], report.ceiling.rps)
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
  const table = mdTable(rows)
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
