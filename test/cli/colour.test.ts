import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {BIN, realTool} from '../support/vcash.js'
import {hermeticEnv, tempDir} from './spawn.js'

const ESC = '\u001B['

/** util-linux `script` gives the command a real terminal, so each stream's TTY-ness can differ. */
const hasScript = realTool('script (util-linux)', spawnSync('script', ['--version']).status === 0)

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`
}

/** Run `vcash args` on a pseudo-terminal with `redirect` (e.g. `2>file`); what reached the terminal. */
function onTerminal(args: string[], redirect: string, env: NodeJS.ProcessEnv): string {
  const cmd = `${[process.execPath, BIN, ...args].map(shellQuote).join(' ')} ${redirect}`
  return execFileSync('script', ['-qec', cmd, '/dev/null'], {env, encoding: 'utf8', timeout: 60_000})
}

describe.skipIf(!hasScript)('colour per stream, off with NO_COLOR', () => {
  const dir = tempDir()
  const scenario = path.join(dir, 'colour.yaml')
  fs.writeFileSync(scenario, 'name: colour\nsteps:\n  - transfer: {phone: "01012345678", amount: "20"}\n')
  const base = hermeticEnv(dir, {NO_COLOR: undefined, TERM: 'xterm-256color', FORCE_COLOR: undefined, CI: undefined})

  it('stdout on a terminal keeps colour while stderr to a file gets none (simulate run)', () => {
    const errFile = path.join(dir, 'stderr.txt')
    const terminal = onTerminal(['simulate', 'run', scenario], `2>${shellQuote(errFile)}`, base)
    expect(terminal).toContain('steps passed')
    expect(terminal).toContain(ESC)
    const stderr = fs.readFileSync(errFile, 'utf8')
    expect(stderr).toMatch(/1 transfer/)
    expect(stderr).not.toContain(ESC)
  })

  it('NO_COLOR: no colour on a terminal stderr either (simulate run, sms ingest notes)', () => {
    const outFile = path.join(dir, 'stdout.txt')
    const terminal = onTerminal(['simulate', 'run', scenario], `>${shellQuote(outFile)}`, {...base, NO_COLOR: '1'})
    expect(terminal).toMatch(/1 transfer/)
    expect(terminal).not.toContain(ESC)
    expect(fs.readFileSync(outFile, 'utf8')).not.toContain(ESC)
    const missing = onTerminal(['sms', 'ingest', path.join(dir, 'nope.txt'), path.join(dir, 'colour.yaml'), '--data-dir', path.join(dir, 'data')], '>/dev/null || true', {...base, NO_COLOR: '1'})
    expect(missing).toMatch(/nope\.txt/)
    expect(missing).not.toContain(ESC)
  })
})
