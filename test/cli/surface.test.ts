import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../support/vcash.js'

interface ManifestCommand {
  id: string
  summary?: string
  examples?: (string | {command: string})[]
  flags: Record<string, {name: string; type: string; required?: boolean; env?: string}>
  enableJsonFlag?: boolean
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}

function commandFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    if (e.isDirectory()) return commandFiles(path.join(dir, e.name), `${prefix}${e.name}:`)
    return e.name.endsWith('.ts') ? [`${prefix}${e.name.slice(0, -3)}`] : []
  })
}

describe('the command surface is a contract', () => {
  it('oclif.manifest.json lists exactly the commands in src/commands, with their current flags', async () => {
    const ids = commandFiles(path.join(ROOT, 'src/commands')).sort()
    expect(Object.keys(manifest.commands).sort()).toEqual(ids)
    for (const id of ids) {
      const mod = (await import(path.join(ROOT, 'dist/commands', `${id.replace(/:/g, '/')}.js`))) as {default: {flags?: Record<string, unknown>; baseFlags?: Record<string, unknown>}}
      // BaseCommand's enableJsonFlag adds --json, and its baseFlags --profile, to every command.
      const flags = Object.keys({...mod.default.baseFlags, ...mod.default.flags, json: true}).sort()
      expect(Object.keys(manifest.commands[id]!.flags).sort(), `stale manifest for ${id}: run npm run build`).toEqual(flags)
    }
  })

  it('every command has a summary, examples using long flags, and --json', () => {
    for (const [id, c] of Object.entries(manifest.commands)) {
      expect(c.summary, id).toBeTruthy()
      expect(c.examples?.length, id).toBeGreaterThan(0)
      for (const ex of c.examples ?? []) expect(typeof ex === 'string' ? ex : ex.command, `${id} example uses a short flag`).not.toMatch(/\s-[a-zA-Z]\b/)
      expect(c.flags.json, `${id} has no --json`).toBeDefined()
    }
  })

  it('--profile only where a profile is read: a profile-backed flag, or a `config` command', () => {
    const backed = new Set(['VCASH_SERVER', 'VCASH_STORE', 'VCASH_DEVICE_TOKEN', 'VCASH_API_TOKEN', 'VCASH_DATA_DIR'])
    for (const [id, c] of Object.entries(manifest.commands)) {
      const uses = id.startsWith('config:') || Object.values(c.flags).some((f) => f.env !== undefined && backed.has(f.env))
      expect(c.flags.profile !== undefined, `${id}: --profile ${uses ? 'missing' : 'does nothing here'}`).toBe(uses)
    }
    expect(manifest.commands['init-scenario']!.flags.profile).toBeUndefined()
    expect(manifest.commands['sms:parse']!.flags.profile).toBeUndefined()
  })

  it('matches the reviewed snapshot of commands and flags', async () => {
    const surface = Object.values(manifest.commands)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((c) => `${c.id.replace(/:/g, ' ')}: ${Object.values(c.flags).map((f) => `--${f.name}${f.type === 'option' ? '=' : ''}${f.env ? `($${f.env})` : ''}`).sort().join(' ')}`)
      .join('\n')
    await expect(`${surface}\n`).toMatchFileSnapshot('./__snapshots__/command-surface.txt')
  })
})
