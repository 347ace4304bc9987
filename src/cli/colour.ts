/**
 * Colour, decided per stream: stdout's from stdout, stderr's from stderr (`serve 2>file` or
 * `simulate run 2>log` must write no escape codes while a terminal still gets colour), and off
 * everywhere when NO_COLOR is set (https://no-color.org: present and not empty). chalk 5
 * detects a TTY per stream (chalk for stdout, chalkStderr for stderr) and honours FORCE_COLOR,
 * but ignores NO_COLOR, hence this module.
 */
import {stripVTControlCharacters} from 'node:util'

import chalk, {type ChalkInstance, chalkStderr} from 'chalk'

type Level = ChalkInstance['level']

/** For stdout (results, tables). The default chalk instance, so `chalk.x` means stdout. */
export const out: ChalkInstance = chalk
/** For stderr (progress, notes, warnings). */
export const err: ChalkInstance = chalkStderr

export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== ''
}

/** The colour level for a stream: 0 under NO_COLOR or off a TTY (unless FORCE_COLOR), else what the terminal supports. */
export function levelFor(stream: {isTTY?: boolean}, detected: Level, env: NodeJS.ProcessEnv = process.env): Level {
  if (noColor(env)) return 0
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  if (!stream.isTTY && !forced) return 0
  return detected
}

let applied = false

/** Set both instances' levels once per process (BaseCommand.init). */
export function applyColourPolicy(env: NodeJS.ProcessEnv = process.env): void {
  if (applied) return
  applied = true
  out.level = levelFor(process.stdout, out.level, env)
  err.level = levelFor(process.stderr, err.level, env)
}

/** Text for stderr: escape codes removed when stderr gets no colour (whichever instance made them). */
export function forStderr(text: string): string {
  return err.level === 0 ? stripVTControlCharacters(text) : text
}

/** Text for stdout: escape codes removed when stdout gets no colour. */
export function forStdout(text: string): string {
  return out.level === 0 ? stripVTControlCharacters(text) : text
}
