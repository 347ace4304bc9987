import {spawn, spawnSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {BIN, realTool} from '../support/vcash.js'
import {hermeticEnv, tempDir, vcash} from './spawn.js'

const env = hermeticEnv(tempDir(), {XDG_CACHE_HOME: tempDir()})

describe('oclif plugins: help, version, autocomplete', () => {
  it('vcash help and help TOPIC', async () => {
    const r = await vcash(['help'], {env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^USAGE\n {2}\$ vcash \[COMMAND\]/m)
    expect(r.stdout).toMatch(/^ {2}tx\s+List and decide transactions/m)
    const topic = await vcash(['help', 'tx'], {env})
    expect(topic.stdout).toMatch(/tx export\s+Export a store's transactions/)
  })

  it('vcash version, --version and version --json', async () => {
    const v = await vcash(['version'], {env})
    expect(v.code).toBe(0)
    expect(v.stdout).toMatch(/^vcash\/0\.1\.0 \S+ node-v\d+/)
    expect((await vcash(['--version'], {env})).stdout).toBe(v.stdout)
    const j = await vcash(['version', '--json'], {env})
    expect(JSON.parse(j.stdout)).toMatchObject({cliVersion: 'vcash/0.1.0'})
  })

  it('vcash autocomplete bash prints the setup steps and builds its cache', async () => {
    const r = await vcash(['autocomplete', 'bash'], {env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/vcash autocomplete/)
    expect(r.stdout).toMatch(/bashrc/)
  })

  it('a plugin command\'s --json error is the small vcash error, with its exit code', async () => {
    const r = await vcash(['version', '--bogus', '--json'], {env})
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout)).toEqual({status: false, code: 'invalid_flags', message: 'Nonexistent flag: --bogus', suggestion: 'Run `vcash version --help` for its flags and arguments.'})
    expect(r.stdout).not.toMatch(/"(config|argv|home)"/)
    const args = await vcash(['autocomplete', 'fish', '--json'], {env})
    expect(args.code).toBe(2)
    expect(JSON.parse(args.stdout)).toMatchObject({status: false, code: 'invalid_args'})
  })
})

const hasScript = realTool('script (util-linux)', spawnSync('script', ['--version']).status === 0)

describe.skipIf(!hasScript)('did you mean, on a terminal', () => {
  /** `vcash ARGS` on a pseudo-terminal, answering `reply` to the did-you-mean prompt. */
  function onTerminal(args: string, reply: string): Promise<{code: number | null; out: string}> {
    return new Promise((resolve) => {
      const child = spawn('script', ['-qec', `${process.execPath} ${BIN} ${args}`, '/dev/null'], {env: {...env, TERM: 'dumb'}, stdio: ['pipe', 'pipe', 'pipe']})
      let out = ''
      let answered = false
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (!answered && out.includes('Did you mean')) {
          answered = true
          child.stdin.write(`${reply}\r`)
        }
      })
      child.on('exit', (code) => resolve({code, out}))
    })
  }

  it('offers the closest command and runs it on yes; no is a usage error (exit 2)', async () => {
    const yes = await onTerminal('verison', 'y')
    expect(yes.out).toMatch(/Did you mean .*version/)
    expect(yes.out).toMatch(/vcash\/0\.1\.0/)
    expect(yes.code).toBe(0)
    const no = await onTerminal('sms tali', 'n')
    expect(no.out).toMatch(/Did you mean .*sms tail/)
    expect(no.code).toBe(2)
  }, 30_000)
})
