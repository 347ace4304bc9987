import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import * as f from '../cli/flags.js'
import {EXIT, VcashError} from '../core/errors.js'
import {type ExportFile, type ExportStore, generate, type Target, TARGETS} from '../export/targets.js'
import {publicStore} from '../core/store-settings.js'

export interface ExportResult {
  target: string
  out: string
  files: {path: string; bytes: number; mode: string}[]
}

export default class Export extends BaseCommand {
  static override summary = 'Write deployable configs (docker, systemd, nginx, env, whmcs, openapi) from your stores'
  static override description = `Generated from the same store definitions you use locally. Each target is written to its own folder under --out (docker/, systemd/, nginx/, env/, whmcs/, openapi/): the container and the systemd service each get their own vcash.env. Secrets are placeholders or env references unless --include-secrets (those files are written with mode 0600). Existing files are never overwritten without --force.

docker/compose.yaml builds the image from a vcash source checkout: --source (default: this vcash, when it is a checkout). See docs/deploy.md for the steps from nothing to HTTPS.

\`compose --database postgres\` (or docker --database postgres) writes docker/ for several instances: PostgreSQL, two vcash instances on it and nginx balancing between them, the database password generated into docker/.env (0600; kept when exported again with --force). --database-url puts an existing PostgreSQL into the systemd and env files (then 0600).`
  static override examples = [
    '<%= config.bin %> export systemd --out deploy/',
    '<%= config.bin %> export nginx --out deploy/ --public-url https://pay.example.com',
    '<%= config.bin %> export whmcs --out deploy/ --public-url https://pay.example.com --public-ip 203.0.113.10',
    '<%= config.bin %> export all --out deploy/ --json',
    '<%= config.bin %> export compose --database postgres --out deploy/ --public-url https://pay.example.com',
    '<%= config.bin %> export systemd --out deploy/ --database-url postgres://vcash:secret@db.internal:5432/vcash',
  ]

  static override args = {target: Args.string({description: 'What to export', required: true, options: [...TARGETS, 'all', 'compose']})}
  static override flags = {
    'data-dir': f.dataDir,
    'database-url': f.databaseUrl,
    store: f.store,
    out: Flags.string({summary: 'Directory to write into (created if missing).', required: true, helpValue: 'DIR'}),
    'public-url': Flags.string({summary: 'The URL merchants reach vcash at.', default: 'https://pay.example.com', helpValue: 'URL'}),
    'public-ip': Flags.string({summary: 'This server\'s public IP (for WHMCS allow-listing).', helpValue: 'IP'}),
    port: f.port,
    'include-secrets': Flags.boolean({summary: 'Write real secrets (WHMCS secret, signing secrets) instead of placeholders.'}),
    force: Flags.boolean({summary: 'Overwrite files that exist.'}),
    'node-path': Flags.string({summary: 'systemd: the Node.js binary on the server.', default: '/usr/bin/node', helpValue: 'PATH'}),
    'tls-cert': Flags.string({summary: 'nginx: TLS certificate (full chain) path.', default: '/etc/ssl/vcash/fullchain.pem', helpValue: 'PATH'}),
    'tls-key': Flags.string({summary: 'nginx: TLS private key path.', default: '/etc/ssl/vcash/privkey.pem', helpValue: 'PATH'}),
    database: Flags.string({summary: 'docker/compose: the ledger in each container\'s data dir (embedded), or PostgreSQL shared by two instances behind nginx (postgres).', options: ['embedded', 'postgres'], default: 'embedded'}),
    source: Flags.string({summary: 'docker: the vcash source checkout the image is built from (default: this vcash, when it is a checkout).', helpValue: 'DIR'}),
  }

  async run(): Promise<ExportResult> {
    const {args, flags} = await this.parse(Export)
    try {
      const u = new URL(flags['public-url'])
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('protocol')
    } catch {
      throw new VcashError('invalid_input', `--public-url "${flags['public-url']}" is not an http(s) URL`, {suggestion: 'e.g. --public-url https://pay.example.com'})
    }
    for (const name of ['node-path', 'tls-cert', 'tls-key'] as const) {
      // These land inside config files: no spaces, quotes or semicolons that could change their meaning.
      if (!/^\/[\w./@+-]+$/.test(flags[name])) throw new VcashError('invalid_input', `--${name} "${flags[name]}" must be an absolute path of letters, digits and ./_-@+`)
    }
    // The URL lands in env files as one line: nothing that could end it or be read as quoting.
    if (flags['database-url'] !== undefined && /[\s"'\\`$]/.test(flags['database-url'])) throw new VcashError('invalid_input', '--database-url must not contain spaces, quotes, backslashes or $', {suggestion: 'Percent-encode those characters in the password (e.g. %24 for $).'})
    if (flags['public-ip'] !== undefined && !/^[0-9a-fA-F.:]{3,45}$/.test(flags['public-ip'])) throw new VcashError('invalid_input', `--public-ip "${flags['public-ip']}" is not an IP address`)
    const needsStores = args.target === 'whmcs' || args.target === 'env' || args.target === 'all'
    const loaded = needsStores ? await this.loadStores(flags['data-dir'], flags.store, flags['include-secrets']) : {stores: [], whmcs: {}, signing: {}}
    // `compose` is the docker target by the name of the file most people look for.
    const targets = (args.target === 'all' ? TARGETS : [args.target === 'compose' ? 'docker' : args.target]) as Target[]
    const out = path.resolve(flags.out)
    const postgres = flags.database === 'postgres'
    const docker = targets.includes('docker') ? this.dockerSource(flags.source, path.join(out, 'docker')) : {context: '.', dockerfile: 'Dockerfile'}
    const files: ExportFile[] = []
    for (const t of targets) {
      for (const file of generate(t, {
        stores: loaded.stores,
        publicUrl: flags['public-url'].replace(/\/$/, ''),
        publicIp: flags['public-ip'] ?? null,
        port: flags.port,
        dataDir: '/var/lib/vcash',
        secrets: flags['include-secrets'] ? {whmcsSecret: loaded.whmcs, signingSecret: loaded.signing} : null,
        version: this.config.version,
        nodePath: flags['node-path'],
        tlsCert: flags['tls-cert'],
        tlsKey: flags['tls-key'],
        dockerContext: docker.context,
        dockerfile: docker.dockerfile,
        database: postgres ? 'postgres' : 'embedded',
        dbPassword: postgres && targets.includes('docker') ? dbPassword(path.join(out, 'docker', '.env')) : undefined,
        databaseUrl: flags['database-url'] ?? null,
      })) {
        files.push({...file, path: path.join(t, file.path)})
      }
    }
    const clashes = files.filter((file) => fs.existsSync(path.join(out, file.path)))
    if (clashes.length > 0 && !flags.force) {
      throw new VcashError('file_exists', `${clashes.map((c) => c.path).join(', ')} already exist in ${out}`, {exit: EXIT.cantCreate, suggestion: 'Pass --force to overwrite, or choose another --out.'})
    }
    fs.mkdirSync(out, {recursive: true})
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(out, file.path)), {recursive: true})
      writeAtomic(path.join(out, file.path), file.content, file.mode ?? 0o644)
    }
    const result = {target: args.target, out, files: files.map((file) => ({path: file.path, bytes: Buffer.byteLength(file.content), mode: (file.mode ?? 0o644).toString(8)}))}
    if (!this.jsonEnabled()) {
      for (const file of result.files) this.log(`${chalk.green('✓')} ${path.join(out, file.path)}${file.mode === '600' ? chalk.yellow('  (secrets, 0600)') : ''}`)
    }
    return result
  }

  /** Where compose finds the checkout to build (relative to docker/), and the Dockerfile relative to it. */
  private dockerSource(given: string | undefined, dockerDir: string): {context: string; dockerfile: string} {
    const source = path.resolve(given ?? this.config.root)
    const isCheckout = fs.existsSync(path.join(source, 'package-lock.json')) && fs.existsSync(path.join(source, 'src'))
    if (!isCheckout) {
      const what = given ? `--source ${source}` : `this vcash (${source})`
      if (given) throw new VcashError('invalid_input', `${what} is not a vcash source checkout (no package-lock.json and src/)`, {suggestion: 'git clone the vcash repository and pass its folder as --source.'})
      this.note(`docker: ${what} is an installed package, not a source checkout; compose.yaml points at it anyway. Pass --source <checkout> to build from a git clone.`)
    }
    const context = path.relative(dockerDir, source) || '.'
    return {context, dockerfile: path.relative(source, path.join(dockerDir, 'Dockerfile'))}
  }

  private async loadStores(dataDir: string, storeId: string | undefined, secrets: boolean): Promise<{stores: ExportStore[]; whmcs: Record<string, string>; signing: Record<string, string>}> {
    return this.withData(dataDir, async ({storage}) => {
        const all = (await storage.listStores()).filter((s) => !storeId || s.id === storeId)
        const whmcs: Record<string, string> = {}
        const signing: Record<string, string> = {}
        for (const s of all) {
          if (s.callback.kind === 'whmcs') whmcs[s.id] = s.callback.secret
          signing[s.id] = s.signingSecret
        }
        return {stores: all.map((s) => publicStore(s) as unknown as ExportStore), whmcs: secrets ? whmcs : {}, signing: secrets ? signing : {}}
      })
  }
}

/** The compose database's password: the one an earlier export wrote (the database keeps it), or a new one. */
function dbPassword(envFile: string): string {
  try {
    const m = /^VCASH_DB_PASSWORD=([A-Za-z0-9_-]{16,})$/m.exec(fs.readFileSync(envFile, 'utf8'))
    if (m) return m[1]!
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return randomBytes(24).toString('base64url')
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, content, {mode})
  fs.chmodSync(tmp, mode)
  fs.renameSync(tmp, file)
}
