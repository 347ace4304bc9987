import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {type ExportInput, generate, TARGETS} from '../../src/export/targets.js'
import {realTool, ROOT, runCli, tempDir} from '../support/vcash.js'

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
  it('writes every target from the data dir, refuses to overwrite, and keeps secrets out unless asked', async () => {
    const dir = tempDir()
    await runCli(['store', 'init', '--data-dir', dir, '--name', 'Host', '--callback', 'whmcs', '--whmcs-url', 'https://billing.example.com', '--whmcs-identifier', 'ID9', '--whmcs-secret', 'TOPSECRET9', '--json'])
    const out = path.join(dir, 'deploy')
    const r = await runCli(['export', 'all', '--data-dir', dir, '--out', out, '--public-ip', '198.51.100.7', '--json'])
    expect(r.code).toBe(0)
    const files = (JSON.parse(r.stdout) as {files: {path: string}[]}).files.map((f) => f.path)
    expect(files).toEqual(expect.arrayContaining(['Dockerfile', 'compose.yaml', 'vcash.service', 'vcash.nginx.conf', '.env', 'openapi.json', 'merchant-secrets.env']))
    const all = files.map((f) => fs.readFileSync(path.join(out, f), 'utf8')).join('\n')
    expect(all).not.toContain('TOPSECRET9')
    expect(all).toContain('198.51.100.7')
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
  }, 60_000)
})
