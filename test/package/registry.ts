/**
 * A loopback npm registry that serves exactly the packages of this repository's lockfile, from
 * the local npm cache (what `npm ci` filled), so a test can install the vcash tarball the way a
 * merchant does — `npm install ./vcash-*.tgz`, then `npm ci` from the lockfile that made — with
 * no network.
 *
 * Why not `npm install --offline`: a lockfile-less install resolves version ranges from package
 * metadata (packuments), and `npm ci` caches only tarballs, so offline resolution fails with
 * ENOTCACHED. The lockfile records every version's dependencies, bins, engines and integrity,
 * which is all a packument needs; the tarballs are in the cache's content store by integrity.
 */
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'

interface LockEntry {
  version?: string
  integrity?: string
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, unknown>
  bin?: Record<string, string>
  engines?: Record<string, string>
  os?: string[]
  cpu?: string[]
  libc?: string[]
  hasInstallScript?: boolean
  license?: string
}

export interface LocalRegistry {
  url: string
  /** Tarballs npm asked for that the cache does not hold (a 404 each). */
  missing: string[]
  close(): Promise<void>
}

export function npmCacheDir(): string {
  return process.env.npm_config_cache ?? path.join(os.homedir(), '.npm')
}

/** Where cacache keeps a tarball with this integrity (`sha512-<base64>`). */
function contentPath(cache: string, integrity: string): string {
  const [algorithm, b64] = integrity.split(/\s+/)[0]!.split(/-(.*)/s) as [string, string]
  const hex = Buffer.from(b64, 'base64').toString('hex')
  return path.join(cache, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4))
}

function nameOf(lockPath: string): string {
  return lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length)
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

export async function startLocalRegistry(lockfile: string, cache = npmCacheDir()): Promise<LocalRegistry> {
  const lock = JSON.parse(fs.readFileSync(lockfile, 'utf8')) as {packages: Record<string, LockEntry>}
  const byName = new Map<string, Map<string, LockEntry>>()
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where.includes('node_modules/') || entry.link || !entry.version || !entry.integrity) continue
    const name = nameOf(where)
    if (!byName.has(name)) byName.set(name, new Map())
    byName.get(name)!.set(entry.version, entry)
  }
  const missing: string[] = []
  let base = ''
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const p = decodeURIComponent(url.pathname).slice(1)
    const tarball = /^(.+)\/-\/[^/]+-(\d[^/]*)\.tgz$/.exec(p)
    if (tarball) {
      const entry = byName.get(tarball[1]!)?.get(tarball[2]!)
      const file = entry?.integrity ? contentPath(cache, entry.integrity) : null
      if (!file || !fs.existsSync(file)) {
        missing.push(p)
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size})
      fs.createReadStream(file).pipe(res)
      return
    }
    const versions = byName.get(p)
    if (!versions) {
      res.writeHead(404, {'content-type': 'application/json'}).end('{"error":"not_found"}')
      return
    }
    const out: Record<string, unknown> = {}
    for (const [version, e] of versions) {
      const file = `${p.includes('/') ? p.split('/')[1] : p}-${version}.tgz`
      out[version] = {
        name: p, version,
        dependencies: e.dependencies, optionalDependencies: e.optionalDependencies, peerDependencies: e.peerDependencies,
        peerDependenciesMeta: e.peerDependenciesMeta, bin: e.bin, engines: e.engines, os: e.os, cpu: e.cpu, libc: e.libc,
        hasInstallScript: e.hasInstallScript, license: e.license,
        dist: {tarball: `${base}/${p}/-/${file}`, integrity: e.integrity},
      }
    }
    const latest = [...versions.keys()].sort(compareVersions).at(-1)!
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({name: p, 'dist-tags': {latest}, versions: out}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${base}/`,
    missing,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
