/**
 * A throwaway PostgreSQL for the test run: one cluster (Debian's postgresql, as the `postgres`
 * user when we run as root: the server refuses root), on a free loopback port, data and socket
 * under a temp dir, trust auth on loopback. Or `VCASH_TEST_DATABASE_URL` (an admin URL of a
 * server you run) when set. The vitest globalSetup (pg-global-setup.ts) starts it once per run;
 * each test file makes its own databases with `freshDatabase()`.
 */
import pg from 'pg'

// The cluster itself is started by a plain-JS module the bench shares.
export {type Cluster, findPgBin, startCluster} from '../../scripts/pg-cluster.js'

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
