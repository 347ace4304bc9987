import fs from 'node:fs'
import path from 'node:path'

import {expect, it} from 'vitest'

import {hermeticEnv, tempDir, vcash} from '../cli/spawn.js'

it('init-scenario ci/payments.yaml in a fresh repository creates ci/, and refuses to overwrite without --force', async () => {
  const repo = tempDir('vcash-merchant-repo-')
  const env = hermeticEnv(tempDir())
  const r = await vcash(['init-scenario', 'ci/payments.yaml', '--json'], {env, cwd: repo})
  expect(r.code, r.stderr).toBe(0)
  expect(JSON.parse(r.stdout)).toEqual({written: 'ci/payments.yaml'})
  expect(fs.readFileSync(path.join(repo, 'ci/payments.yaml'), 'utf8')).toMatch(/steps:/)
  const again = await vcash(['init-scenario', 'ci/payments.yaml', '--json'], {env, cwd: repo})
  expect(again.code).not.toBe(0)
  expect(JSON.parse(again.stdout)).toMatchObject({status: false, code: 'file_exists'})
})
