import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {Profiles} from '../../src/cli/profiles.js'
import {hermeticEnv, tempDir, vcash} from './spawn.js'

describe('vcash config set: no lost writes', () => {
  it('two writers that opened the file before either wrote both land (read-modify-write under a lock)', async () => {
    const dir = tempDir()
    const a = await Profiles.open(dir)
    const b = await Profiles.open(dir)
    await a.set('default', 'server', 'https://a.example.com')
    await b.set('default', 'store', 'st_FromB')
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'profiles.json'), 'utf8')) as {profiles: Record<string, Record<string, string>>}
    expect(onDisk.profiles.default).toEqual({server: 'https://a.example.com', store: 'st_FromB'})
    expect(fs.readdirSync(dir)).toEqual(['profiles.json'])
  })

  it('concurrent processes: every `config set` is in the file afterwards', async () => {
    const env = hermeticEnv(tempDir())
    const names = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']
    const runs = await Promise.all(names.map((p, i) => vcash(['config', 'set', 'store', `st_Store${i}`, '--profile', p], {env})))
    for (const r of runs) expect(r.code, r.stderr).toBe(0)
    const onDisk = JSON.parse(fs.readFileSync(path.join(env.VCASH_CONFIG_DIR!, 'profiles.json'), 'utf8')) as {profiles: Record<string, Record<string, string>>}
    expect(Object.keys(onDisk.profiles).sort()).toEqual(names)
  })
})
