// A throwaway PostgreSQL cluster, for the test run (test/support/postgres.ts) and the bench
// (bench/run.js --database postgres): Debian's postgresql binaries, run as the `postgres` user
// when we are root (the server refuses root), on a free loopback port, data and socket under a
// temp dir, trust auth on loopback. Plain JS so the bench can use it without a build step.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** The newest installed PostgreSQL's bin dir, or null. */
export function findPgBin() {
  const root = '/usr/lib/postgresql'
  if (!fs.existsSync(root)) return null
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] ? path.join(root, versions[0], 'bin') : null
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port
      s.close(() => resolve(port))
    })
  })
}

/**
 * Start a cluster; answers its admin URL and stop(). `durable: true` keeps PostgreSQL's own
 * durability (fsync, full-page writes) for measurements; tests run without it.
 */
export async function startCluster(bin, opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-pg-'))
  const asRoot = process.getuid?.() === 0
  const run = (cmd, args) => {
    const full = path.join(bin, cmd)
    // The server refuses to run as root: run it as the postgres user, in a dir it owns.
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], {stdio: 'pipe', cwd: dir})
    else execFileSync(full, args, {stdio: 'pipe', cwd: dir})
  }
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir])
  const data = path.join(dir, 'data')
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'])
  const port = await freePort()
  // Room for several servers' pools. Tests: no fsync (the ledger's durability on PostgreSQL is
  // PostgreSQL's own, not what they are about).
  const durability = opts.durable ? '' : ' -c fsync=off -c full_page_writes=off'
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${durability} -c max_connections=300`
  run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start'])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        fs.rmSync(dir, {recursive: true, force: true})
      }
    },
  }
}
