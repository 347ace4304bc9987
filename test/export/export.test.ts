import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process'
import https from 'node:https'
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {type ExportInput, generate, TARGETS} from '../../src/export/targets.js'
import {realTool, ROOT, runCli, startServer, tempDir} from '../support/vcash.js'

const GOLDEN = path.join(ROOT, 'test/export/golden')

const input: ExportInput = {
  stores: [
    {id: 'st_golden01', name: 'Hosting Co', callback: {kind: 'whmcs', url: 'https://billing.example.com', identifier: 'API_ID'}, rate: '50.50', currency_label: 'USD', require_token: false, allow_ips: ['203.0.113.5'], mode: 'production'},
    {id: 'st_golden02', name: 'Shop', callback: {kind: 'webhook', url: 'https://shop.example.com/hook'}, rate: '1', currency_label: 'EGP', require_token: true, allow_ips: [], mode: 'production'},
  ],
  publicUrl: 'https://pay.example.com',
  publicIp: '198.51.100.7',
  port: 8080,
  dataDir: '/var/lib/vcash',
  secrets: null,
  version: '0.1.0',
  nodePath: '/usr/bin/node',
  tlsCert: '/etc/ssl/vcash/fullchain.pem',
  tlsKey: '/etc/ssl/vcash/privkey.pem',
  dockerContext: '../..',
  dockerfile: 'deploy/docker/Dockerfile',
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** The status nginx answers for this path (a self-signed certificate: not verified). */
function httpsGet(port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get({host: '127.0.0.1', port, path: p, headers: {host: 'pay.example.com'}, rejectUnauthorized: false}, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
  })
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

describe('export generators match their golden files', () => {
  it.each(TARGETS)('%s', (target) => {
    for (const file of generate(target, input)) {
      const golden = path.join(GOLDEN, target, file.path)
      if (process.env.UPDATE_GOLDEN === '1') {
        fs.mkdirSync(path.dirname(golden), {recursive: true})
        fs.writeFileSync(golden, file.content)
      }
      expect(file.content, `${target}/${file.path} differs from its golden file (UPDATE_GOLDEN=1 to accept)`).toBe(fs.readFileSync(golden, 'utf8'))
      // Secrets are never inlined by default.
      expect(file.mode).toBeUndefined()
    }
  })
})

describe('exported configs pass their real validators', () => {
  it.skipIf(!realTool('nginx', has('nginx')))('nginx -t accepts the site', () => {
    const dir = tempDir('vcash-nginx-')
    const [site] = generate('nginx', {...input, tlsCert: path.join(dir, 'cert.pem'), tlsKey: path.join(dir, 'key.pem')})
    fs.writeFileSync(path.join(dir, 'vcash.conf'), site!.content)
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pay.example.com', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {stdio: 'ignore'})
    fs.writeFileSync(path.join(dir, 'nginx.conf'), `error_log ${dir}/error.log;\npid ${dir}/nginx.pid;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir};\n  proxy_temp_path ${dir};\n  fastcgi_temp_path ${dir};\n  uwsgi_temp_path ${dir};\n  scgi_temp_path ${dir};\n  include ${dir}/vcash.conf;\n}\n`)
    const r = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], {encoding: 'utf8'})
    expect(r.stderr).toMatch(/syntax is ok/)
    expect(r.stderr).toMatch(/test is successful/)
    expect(r.status).toBe(0)
  })

  it.skipIf(!realTool('nginx', has('nginx')))('behind the exported nginx site, /admin and /metrics are closed whatever their case, and the rest reaches vcash', async () => {
    const dir = tempDir('vcash-nginx-run-')
    const t = await startServer({trustProxy: ['127.0.0.1']})
    let nginx: ChildProcess | null = null
    try {
      const [site] = generate('nginx', {...input, port: Number(new URL(t.url).port), tlsCert: path.join(dir, 'cert.pem'), tlsKey: path.join(dir, 'key.pem')})
      const [http80, https443] = [await freePort(), await freePort()]
      // Only the listen lines change: loopback ports instead of 80/443.
      const conf = site!.content
        .replace(/listen 80;/, `listen 127.0.0.1:${http80};`).replace(/listen \[::\]:80;\n/, '')
        .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${https443} ssl;`).replace(/listen \[::\]:443 ssl http2;\n/, '')
      expect(conf).toContain('location ~* ^/(admin|metrics)')
      fs.writeFileSync(path.join(dir, 'vcash.conf'), conf)
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pay.example.com', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {stdio: 'ignore'})
      fs.writeFileSync(path.join(dir, 'nginx.conf'), `error_log ${dir}/error.log;\npid ${dir}/nginx.pid;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir};\n  proxy_temp_path ${dir};\n  fastcgi_temp_path ${dir};\n  uwsgi_temp_path ${dir};\n  scgi_temp_path ${dir};\n  include ${dir}/vcash.conf;\n}\n`)
      nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {stdio: 'ignore'})
      const get = (p: string) => httpsGet(https443, p)
      for (let i = 0; i < 100; i++) {
        if ((await get('/healthz').catch(() => 0)) !== 0) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(await get('/healthz')).toBe(200)
      expect(await get('/openapi.json')).toBe(200)
      // Straight to vcash from loopback, the admin API answers (401 without its token), so a 404
      // through nginx is nginx's block; vcash itself routes case-sensitively (/ADMIN is unknown).
      expect((await fetch(`${t.url}/admin/stores`)).status).toBe(401)
      for (const p of ['/admin/stores', '/ADMIN/stores', '/Admin/stores', '/admin', '/metrics', '/METRICS', '//admin/stores']) expect(await get(p), p).toBe(404)
    } finally {
      nginx?.kill('SIGTERM')
      await t.close()
    }
  }, 30_000)

  it.skipIf(!realTool('systemd-analyze', has('systemd-analyze')))('systemd-analyze verify accepts the unit without a warning', () => {
    const dir = tempDir('vcash-systemd-')
    const [unit] = generate('systemd', {...input, nodePath: process.execPath})
    fs.writeFileSync(path.join(dir, 'vcash.service'), unit!.content)
    const r = spawnSync('systemd-analyze', ['verify', path.join(dir, 'vcash.service')], {encoding: 'utf8'})
    expect(r.stderr.trim()).toBe('')
    expect(r.status).toBe(0)
  })
})

describe('vcash export', () => {
  it('writes every target in its own folder from the data dir, refuses to overwrite, and keeps secrets out unless asked', async () => {
    const dir = tempDir()
    await runCli(['store', 'init', '--data-dir', dir, '--name', 'Host', '--callback', 'whmcs', '--whmcs-url', 'https://billing.example.com', '--whmcs-identifier', 'ID9', '--whmcs-secret', 'TOPSECRET9', '--json'])
    const out = path.join(dir, 'deploy')
    const r = await runCli(['export', 'all', '--data-dir', dir, '--out', out, '--public-ip', '198.51.100.7', '--source', ROOT, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const files = (JSON.parse(r.stdout) as {files: {path: string}[]}).files.map((f) => f.path)
    expect(files.sort()).toEqual(expect.arrayContaining(['docker/Dockerfile', 'docker/compose.yaml', 'docker/Dockerfile.dockerignore', 'docker/vcash.env', 'systemd/vcash.service', 'systemd/vcash.env', 'nginx/vcash.nginx.conf', 'env/.env', 'env/merchant-secrets.env', 'openapi/openapi.json']))
    expect(files.some((f) => /^whmcs\/whmcs-st_\w+\.md$/.test(f))).toBe(true)
    // The systemd service's settings are its own, not the container's (issue #10: `export all` kept Docker's).
    const systemdEnv = fs.readFileSync(path.join(out, 'systemd/vcash.env'), 'utf8')
    expect(systemdEnv).toMatch(/^VCASH_DATA_DIR=\/var\/lib\/vcash$/m)
    expect(systemdEnv).toMatch(/^VCASH_HOST=127\.0\.0\.1$/m)
    expect(systemdEnv).toMatch(/^VCASH_TRUST_PROXY=127\.0\.0\.1$/m)
    const dockerEnv = fs.readFileSync(path.join(out, 'docker/vcash.env'), 'utf8')
    expect(dockerEnv).toMatch(/^VCASH_DATA_DIR=\/data$/m)
    expect(dockerEnv).toMatch(/^VCASH_HOST=0\.0\.0\.0$/m)
    const all = files.map((f) => fs.readFileSync(path.join(out, f), 'utf8')).join('\n')
    expect(all).not.toContain('TOPSECRET9')
    expect(all).toContain('198.51.100.7')
    // The compose file builds: its context, resolved from its own folder, is the vcash checkout, and the Dockerfile is there.
    const compose = YAML.parse(fs.readFileSync(path.join(out, 'docker/compose.yaml'), 'utf8')) as {services: {vcash: {build: {context: string; dockerfile: string}}}}
    const context = path.resolve(out, 'docker', compose.services.vcash.build.context)
    expect(context).toBe(ROOT)
    expect(fs.existsSync(path.join(context, 'package-lock.json'))).toBe(true)
    expect(fs.readFileSync(path.join(context, compose.services.vcash.build.dockerfile), 'utf8')).toMatch(/^FROM node:24-bookworm AS build$/m)
    const again = await runCli(['export', 'nginx', '--data-dir', dir, '--out', out])
    expect(again.code).toBe(73)
    expect(again.stderr).toMatch(/--force/)
    const secret = await runCli(['export', 'whmcs', '--data-dir', dir, '--out', out, '--include-secrets', '--force', '--json'])
    const w = (JSON.parse(secret.stdout) as {files: {path: string; mode: string}[]}).files[0]!
    expect(w.mode).toBe('600')
    expect(fs.readFileSync(path.join(out, w.path), 'utf8')).toContain('TOPSECRET9')
    expect(fs.statSync(path.join(out, w.path)).mode & 0o777).toBe(0o600)
    const bad = await runCli(['export', 'systemd', '--out', out, '--force', '--node-path', '/usr/bin/node; rm -rf /'])
    expect(bad.code).toBe(2)
    const notCheckout = await runCli(['export', 'docker', '--out', path.join(dir, 'd2'), '--source', dir])
    expect(notCheckout.code).toBe(2)
    expect(notCheckout.stderr).toMatch(/not a vcash source checkout/)
  }, 60_000)

  it.skipIf(!realTool('docker-compose', has('docker-compose')))('docker-compose config accepts the exported compose file (build context and env file resolved)', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'deploy')
    const r = await runCli(['export', 'docker', '--out', out, '--source', ROOT, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const c = spawnSync('docker-compose', ['-f', path.join(out, 'docker/compose.yaml'), 'config'], {encoding: 'utf8', cwd: path.join(out, 'docker')})
    expect(c.stderr).toBe('')
    expect(c.status).toBe(0)
    const resolved = YAML.parse(c.stdout) as {services: {vcash: {build: {context: string}; environment: Record<string, string>}}}
    expect(resolved.services.vcash.build.context).toBe(ROOT)
    expect(resolved.services.vcash.environment).toMatchObject({VCASH_HOST: '0.0.0.0', VCASH_DATA_DIR: '/data'})
    // Unset settings stay out of the container's environment (an empty VCASH_TRUST_PROXY is still a value).
    expect(resolved.services.vcash.environment).not.toHaveProperty('VCASH_TRUST_PROXY')
  }, 60_000)
})
