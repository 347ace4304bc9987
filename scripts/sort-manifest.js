// oclif writes commands in the order it finds them on disk, which differs between machines;
// sort them so the committed manifest only changes when the command surface does.
import fs from 'node:fs'

const file = new URL('../oclif.manifest.json', import.meta.url)
const manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)))
fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`)
