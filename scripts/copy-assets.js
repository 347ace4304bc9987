// tsc compiles only TypeScript: copy the web pages' static files (CSS, browser JS, images) from
// src/ into dist/ beside the modules that serve them, so the npm package ships them too.
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const SHIPPED = new Set(['.css', '.js', '.svg', '.png', '.ico', '.woff2'])

function copy(dir) {
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const from = path.join(dir, e.name)
    if (e.isDirectory()) copy(from)
    else if (SHIPPED.has(path.extname(e.name))) {
      const to = path.join(root, 'dist', path.relative(path.join(root, 'src'), from))
      fs.mkdirSync(path.dirname(to), {recursive: true})
      fs.copyFileSync(from, to)
    }
  }
}

copy(path.join(root, 'src/server/web'))
