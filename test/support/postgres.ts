/**
 * A throwaway PostgreSQL for the test run: one cluster (Debian's postgresql, as the `postgres`
 * user when we run as root: the server refuses root), on a free loopback port, data and socket
 * under a temp dir, trust auth on loopback. Or `VCASH_TEST_DATABASE_URL` (an admin URL of a
 * server you run) when set. The vitest globalSetup (pg-global-setup.ts) starts it once per run;
 * each test file makes its own databases with `freshDatabase()`.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import pg from 'pg'

export interface Cluster {
  /** Admin URL (superuser, database `postgres`). */
  url: string
  stop(): void
}

export function findPgBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!fs.existsSync(root)) return null
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] ? path.join(root, versions[0], 'bin') : null
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

export async function startCluster(bin: string): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcash-pg-'))
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]) => {
    const full = path.join(bin, cmd)
    // The server refuses to run as root: run it as the postgres user, in a dir it owns.
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], {stdio: 'pipe', cwd: dir})
    else execFileSync(full, args, {stdio: 'pipe', cwd: dir})
  }
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir])
  const data = path.join(dir, 'data')
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'])
  const port = await freePort()
  // A throwaway cluster: no fsync (the ledger's durability on PostgreSQL is PostgreSQL's own, not
  // what these tests are about), room for several servers' pools.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300`
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

let counter = 0

/** A new empty database on the run's server; answers its URL. */
export async function freshDatabase(adminUrl: string, prefix = 'vcash_t'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`
  const c = new pg.Client({connectionString: adminUrl})
  await c.connect()
  try {
    await c.query(`create database "${name}"`)
  } finally {
    await c.end()
  }
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return u.toString()
}

const made: string[] = []

/** Like freshDatabase, remembered for dropDatabases (a server given by VCASH_TEST_DATABASE_URL is someone's own). */
export async function tempDatabase(adminUrl: string): Promise<string> {
  const url = await freshDatabase(adminUrl)
  made.push(new URL(url).pathname.slice(1))
  return url
}

export async function dropDatabases(adminUrl: string): Promise<void> {
  const c = new pg.Client({connectionString: adminUrl})
  await c.connect()
  try {
    for (const name of made.splice(0)) await c.query(`drop database if exists "${name}" with (force)`)
  } finally {
    await c.end()
  }
}
