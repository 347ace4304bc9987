/**
 * The several-instance exports: `export compose --database postgres` (PostgreSQL, two vcash
 * instances, nginx balancing) checked by docker-compose itself, its nginx site run for real in
 * front of two `vcash serve` on one PostgreSQL; and a systemd env file carrying a database URL.
 */
import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import path from 'node:path'

import {afterAll, describe, expect, inject, it} from 'vitest'
import YAML from 'yaml'

import {generate} from '../../src/export/targets.js'
import {dropDatabases, tempDatabase} from '../support/postgres.js'
import {check, cliEnv, postSms, realTool, ROOT, runCli, type ServeChild, startServe, tempDir, VF_R1, waitExit} from '../support/vcash.js'

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const adminUrl = inject('pgUrl')

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** GET over TLS (self-signed, not verified) to nginx on loopback: status and body. */
function httpsGet(port: number, p: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = https.request({host: '127.0.0.1', port, path: p, method, headers: {host: 'pay.example.com', ...headers}, rejectUnauthorized: false, agent: false}, (res) => {
      let b = ''
      res.on('data', (d: Buffer) => (b += d.toString()))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: b}))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const exportArgs = (out: string, extra: string[] = []) => ['export', 'compose', '--database', 'postgres', '--out', out, '--source', ROOT, '--json', ...extra]

describe('export compose --database postgres', () => {
  it.skipIf(!realTool('docker-compose', has('docker-compose')))('docker-compose config accepts it: PostgreSQL with a volume and a healthcheck, two instances on it, nginx in front', async () => {
    const out = path.join(tempDir(), 'deploy')
    const r = await runCli(exportArgs(out))
    expect(r.code, r.stderr).toBe(0)
    const docker = path.join(out, 'docker')
    const envFile = path.join(docker, '.env')
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600)
    const password = /^VCASH_DB_PASSWORD=(\S+)$/m.exec(fs.readFileSync(envFile, 'utf8'))![1]!
    expect(password.length).toBeGreaterThanOrEqual(32)
    const c = spawnSync('docker-compose', ['-f', path.join(docker, 'compose.yaml'), 'config'], {encoding: 'utf8', cwd: docker})
    expect(c.stderr).toBe('')
    expect(c.status).toBe(0)
    type Service = {image?: string; build?: {context: string}; environment: Record<string, string>; depends_on?: Record<string, {condition: string}>; healthcheck?: {test: string[]}; volumes?: string[]; networks: Record<string, {ipv4_address?: string} | null>}
    const resolved = YAML.parse(c.stdout) as {services: Record<string, Service>; volumes: Record<string, unknown>}
    expect(Object.keys(resolved.services).sort()).toEqual(['nginx', 'postgres', 'vcash-a', 'vcash-b'])
    const {postgres, nginx} = resolved.services
    expect(postgres!.image).toMatch(/^postgres:\d+$/)
    expect(postgres!.healthcheck!.test.join(' ')).toContain('pg_isready')
    expect(postgres!.volumes!.some((v) => v.startsWith('vcash-pg:/var/lib/postgresql/data'))).toBe(true)
    expect(postgres!.environment.POSTGRES_PASSWORD).toBe(password)
    expect(resolved.volumes).toHaveProperty('vcash-pg')
    for (const name of ['vcash-a', 'vcash-b']) {
      const s = resolved.services[name]!
      expect(s.build!.context).toBe(ROOT)
      expect(s.environment.VCASH_DATABASE_URL).toBe(`postgres://vcash:${password}@postgres:5432/vcash`)
      expect(s.depends_on!.postgres!.condition).toBe('service_healthy')
      // vcash believes X-Forwarded-For from nginx's address, and nothing else.
      expect(s.environment.VCASH_TRUST_PROXY).toBe(nginx!.networks.vcash!.ipv4_address)
      expect(nginx!.depends_on![name]!.condition).toBe('service_healthy')
    }
    expect(fs.readFileSync(path.join(docker, 'nginx.conf'), 'utf8')).toMatch(/upstream vcash \{\n\s+server vcash-a:8080[^\n]*\n\s+server vcash-b:8080/)

    // Exported again: refused without --force; with it, the database keeps its password.
    expect((await runCli(exportArgs(out))).code).toBe(73)
    expect((await runCli(exportArgs(out, ['--force']))).code).toBe(0)
    expect(fs.readFileSync(envFile, 'utf8')).toContain(`VCASH_DB_PASSWORD=${password}\n`)
  }, 60_000)

  const children: ServeChild[] = []
  afterAll(async () => {
    for (const c of children) {
      c.child.kill('SIGTERM')
      await waitExit(c.child)
    }
    if (adminUrl) await dropDatabases(adminUrl)
  })

  it.skipIf(!realTool('nginx', has('nginx')) || !realTool('PostgreSQL', adminUrl !== ''))('its nginx balances two vcash instances on one PostgreSQL, closes /admin and /metrics, and survives one instance stopping', async () => {
    const url = await tempDatabase(adminUrl)
    const start = async () => {
      const c = await startServe(['--database-url', url, '--data-dir', tempDir(), '--dev', '--trust-proxy', '127.0.0.1', '--failed-check-limit', '100000', '--log-level', 'warn'], cliEnv())
      children.push(c)
      return c
    }
    const a = await start()
    const b = await start()
    const store = a.ready.dev_store!
    const dir = tempDir('vcash-lb-')
    const site = generate('docker', {
      stores: [], publicUrl: 'https://pay.example.com', publicIp: null, port: 8080, dataDir: '/var/lib/vcash', secrets: null, version: '0.0.0', nodePath: '/usr/bin/node',
      tlsCert: '/etc/ssl/vcash/fullchain.pem', tlsKey: '/etc/ssl/vcash/privkey.pem', dockerContext: '..', dockerfile: 'Dockerfile', database: 'postgres', dbPassword: 'x'.repeat(32),
    }).find((f) => f.path === 'nginx.conf')!.content
    const [http80, https443] = [await freePort(), await freePort()]
    // What compose provides changes: the instances' addresses, loopback ports, the certificate's path.
    const conf = site
      .replace('server vcash-a:8080', `server 127.0.0.1:${new URL(a.ready.url).port}`)
      .replace('server vcash-b:8080', `server 127.0.0.1:${new URL(b.ready.url).port}`)
      .replace(/listen 80;/, `listen 127.0.0.1:${http80};`).replace(/listen \[::\]:80;\n/, '')
      .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${https443} ssl;`).replace(/listen \[::\]:443 ssl http2;\n/, '')
      .replace('/etc/nginx/tls/fullchain.pem', path.join(dir, 'cert.pem')).replace('/etc/nginx/tls/privkey.pem', path.join(dir, 'key.pem'))
    expect(conf).toContain('location ~* ^/(admin|metrics)')
    fs.writeFileSync(path.join(dir, 'vcash.conf'), conf)
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pay.example.com', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {stdio: 'ignore'})
    fs.writeFileSync(path.join(dir, 'nginx.conf'), `error_log ${dir}/error.log;\npid ${dir}/nginx.pid;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir};\n  proxy_temp_path ${dir};\n  fastcgi_temp_path ${dir};\n  uwsgi_temp_path ${dir};\n  scgi_temp_path ${dir};\n  include ${dir}/vcash.conf;\n}\n`)
    const t = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], {encoding: 'utf8'})
    expect(t.stderr).toMatch(/test is successful/)
    let nginx: ChildProcess | null = null
    try {
      nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {stdio: 'ignore'})
      const get = (p: string) => httpsGet(https443, p)
      for (let i = 0; i < 100 && (await get('/healthz').catch(() => ({status: 0}))).status === 0; i++) await new Promise((r) => setTimeout(r, 50))
      for (const p of ['/admin/stores', '/ADMIN/stores', '/metrics', '/Metrics']) expect((await get(p)).status, p).toBe(404)

      // Transfers arrive through nginx (either instance), and are claimed through it.
      const transfers = Array.from({length: 12}, (_, i) => ({phone: `010${String(30_000_000 + i)}`, amount: String(300 + i)}))
      for (const [i, tr] of transfers.entries()) {
        const r = await httpsGet(https443, '/api/sms', 'POST', JSON.stringify({sender: 'VF-Cash', body: VF_R1(tr.phone, tr.amount, String(650_000_000 + i))}), {authorization: `Bearer ${store.device_token}`, 'content-type': 'application/json'})
        expect(r.status, r.body).toBe(201)
      }
      const claim = (tr: {phone: string; amount: string}) => get(`/api/payment_link_check?${new URLSearchParams({store_id: store.id, phone: tr.phone, amount: tr.amount, user_name: 'lb'})}`)
      for (const tr of transfers.slice(0, 6)) expect(JSON.parse((await claim(tr)).body).status).toBe(true)
      // One instance stops: nginx sends everything to the other, and nothing is claimed twice.
      a.child.kill('SIGTERM')
      await waitExit(a.child)
      for (const tr of transfers.slice(6)) expect(JSON.parse((await claim(tr)).body).status).toBe(true)
      for (const tr of transfers.slice(0, 3)) expect(JSON.parse((await claim(tr)).body).status).not.toBe(true)
      // Straight to the survivor: it has every transfer (one ledger behind both).
      expect((await postSms({url: b.ready.url, deviceToken: store.device_token}, VF_R1('01030009999', '99', '650000999'))).status).toBe(201)
      expect((await check({url: b.ready.url, storeId: store.id}, {phone: '01030009999', amount: '99', user_name: 'd'})).json.status).toBe(true)
    } finally {
      nginx?.kill('SIGTERM')
    }
  }, 90_000)
})

describe('export systemd --database-url', () => {
  it('puts the URL in the service\'s env file, 0600, and refuses one that could break the file', async () => {
    const out = path.join(tempDir(), 'deploy')
    const dbUrl = 'postgres://vcash:s3cret-pw@db.internal:5432/vcash'
    const r = await runCli(['export', 'systemd', '--out', out, '--database-url', dbUrl, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain('s3cret-pw')
    const env = path.join(out, 'systemd/vcash.env')
    expect(fs.readFileSync(env, 'utf8')).toMatch(new RegExp(`^VCASH_DATABASE_URL=${dbUrl.replace(/[.]/g, '\\.')}$`, 'm'))
    expect(fs.statSync(env).mode & 0o777).toBe(0o600)
    // Without a URL the same file is not a secret.
    const plain = await runCli(['export', 'systemd', '--out', path.join(out, 'p'), '--json'], {env: {VCASH_DATABASE_URL: ''}})
    expect(plain.code, plain.stderr).toBe(0)
    expect(fs.statSync(path.join(out, 'p/systemd/vcash.env')).mode & 0o777).toBe(0o644)
    const bad = await runCli(['export', 'systemd', '--out', path.join(out, 'b'), '--database-url', 'postgres://vcash:a b@db/vcash\nVCASH_DEV=1', '--json'])
    expect(bad.code).toBe(2)
    expect(fs.existsSync(path.join(out, 'b'))).toBe(false)
  }, 60_000)
})
