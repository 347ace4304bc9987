/**
 * vitest globalSetup: one PostgreSQL for the whole run (see postgres.ts). Tests read its admin
 * URL with `inject('pgUrl')`; '' means none (skipped, unless VCASH_REQUIRE_REAL_TOOLS=1 fails them).
 */
import type {TestProject} from 'vitest/node'

import {type Cluster, findPgBin, startCluster} from './postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string
  }
}

let cluster: Cluster | null = null

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.VCASH_TEST_DATABASE_URL
  if (given) {
    project.provide('pgUrl', given)
    return () => {}
  }
  const bin = findPgBin()
  if (!bin) {
    project.provide('pgUrl', '')
    return () => {}
  }
  try {
    cluster = await startCluster(bin)
  } catch (error) {
    // A developer's box without a usable PostgreSQL skips those tests; CI must run them.
    if (process.env.VCASH_REQUIRE_REAL_TOOLS) throw error
    console.error(`vcash tests: no throwaway PostgreSQL (${(error as Error).message.split('\n')[0]}); PostgreSQL tests skipped`)
    project.provide('pgUrl', '')
    return () => {}
  }
  project.provide('pgUrl', cluster.url)
  return () => cluster?.stop()
}
