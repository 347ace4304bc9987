import type {ChildProcess} from 'node:child_process'
import path from 'node:path'

import {type CliResult, type ServeChild, spawnCli, startServe} from '../support/vcash.js'

export {BIN, ROOT, tempDir} from '../support/vcash.js'

/**
 * A hermetic environment for the CLI: no NODE_ENV (lowdb's preset would keep data in memory),
 * no VCASH_* from the developer's shell, a private config dir and HOME.
 */
/**
 * What the test runner's own environment must not pass on: CI=true (set by CI services) turns
 * the CLI's prompts off even on a pseudo-terminal, so tests of prompts would test CI instead.
 */
const OUTER = new Set(['NODE_ENV', 'VITEST', 'CI'])

export function hermeticEnv(configDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VCASH_') && !OUTER.has(k) && !k.startsWith('VITEST_')) env[k] = v
  Object.assign(env, {NO_COLOR: '1', HOME: configDir, XDG_CONFIG_HOME: path.join(configDir, 'xdg'), VCASH_CONFIG_DIR: path.join(configDir, 'vcash')})
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

export type Run = CliResult

export function vcash(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string}): Promise<Run> {
  return spawnCli(args, opts)
}

/** Start `vcash serve --json` and resolve with its ready line. */
export function serve(args: string[], env: NodeJS.ProcessEnv): Promise<ServeChild> {
  return startServe(args, env)
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  await done
}
