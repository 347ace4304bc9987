/**
 * Turning oclif's parse failures into small, stable, secret-free errors. oclif's own errors
 * carry the whole parse context (config, argv, flag values) and, under --json, it prints all
 * of it; these keep only a cleaned message, a stable code and a suggestion. No oclif imports.
 */
import {EXIT, VcashError} from '../core/errors.js'

export interface FlagDefLike {
  type: string
  env?: string
}

/** Option flags whose values are secrets (tokens, secrets, passwords, keys): never echoed. */
export function isSecretOptionFlag(name: string, flag: FlagDefLike): boolean {
  return flag.type === 'option' && /(secret|token|password|signing-key|database-url)/i.test(name)
}

/** oclif's argument errors (the rest of what its parser throws is about flags). */
const ARG_ERRORS = new Set(['RequiredArgsError', 'UnexpectedArgsError', 'ArgInvalidOptionError', 'InvalidArgsSpecError'])

/** Tokens vcash issues (device/API tokens, signing secrets): masked wherever they appear. */
const TOKEN_RE = /\b(vd|vk|whsec)_[A-Za-z0-9_+/=-]{6,}/g

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * The values of secret flags on this command line (`--x v` and `--x=v`) and in their env vars,
 * to be cut out of any message.
 */
export function secretValues(argv: readonly string[], defs: Record<string, FlagDefLike>, isSecret: (name: string, def: FlagDefLike) => boolean, env: NodeJS.ProcessEnv = process.env): string[] {
  const secretNames = Object.entries(defs).filter(([name, def]) => isSecret(name, def))
  const names = new Set(secretNames.map(([name]) => name))
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') break
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    if (eq > 2) {
      if (names.has(a.slice(2, eq))) out.push(a.slice(eq + 1))
    } else if (names.has(a.slice(2)) && i + 1 < argv.length) {
      out.push(argv[i + 1]!)
      i++
    }
  }
  for (const [, def] of secretNames) {
    const v = def.env ? env[def.env] : undefined
    if (v) out.push(v)
  }
  return out.filter((v) => v.length > 0)
}

/** Every option flag's value on this command line (and positional words): none is echoed in a usage error. */
export function optionValues(argv: readonly string[], defs: Record<string, FlagDefLike>): string[] {
  const dash = argv.indexOf('--')
  const words = argv.slice(0, dash === -1 ? undefined : dash).filter((a) => !a.startsWith('-'))
  return [...secretValues(argv, defs, (_name, def) => def.type === 'option', {}), ...words]
}

/** Cut secrets out of `text`: the given values (as whole tokens) and anything shaped like a vcash token. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of [...new Set(secrets)].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`(?<![A-Za-z0-9_-])${escapeRe(s)}(?![A-Za-z0-9_-])`, 'g'), '****')
  }
  return out.replace(TOKEN_RE, (_m, prefix: string) => `${prefix}_…****`)
}

/** oclif's message without its decoration: "Parsing --x \n\t…", "See more help with --help". */
export function cleanParseMessage(message: string): string {
  let m = message.replace(/\r/g, '')
  m = m.replace(/^Parsing (--[\w-]+)\s*\n\t/, (_all, flag: string) => `${flag}: `)
  m = m
    .split('\n')
    .filter((line) => !/^\s*See more help with --help\s*$/.test(line))
    .map((line) => line.trim())
    .filter(Boolean)
    .join('; ')
  // "--server: --server "x" is not a URL" reads twice.
  m = m.replace(/^(--[\w-]+): \1\b/, '$1')
  m = m.replace(/^The following errors occurred:;\s*/, '')
  return m.length > 400 ? `${m.slice(0, 399)}…` : m
}

/**
 * A usage error names the flag and what it takes, never what was typed (a value may be a
 * secret pasted into the wrong flag): oclif's "Expected --x=V to be one of: …" and "… but
 * received: V" are reworded, and any value given on the command line is cut out.
 */
export function withoutValues(message: string, values: readonly string[]): string {
  let m = message
    .replace(/Expected (--[\w-]+)=.*? to be one of: /g, '$1 must be one of: ')
    .replace(/^Expected .*? to be one of: /, 'the argument must be one of: ')
    .replace(/ but received: .*?(?=;|$)/g, '')
  for (const v of [...new Set(values)].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) {
    m = m.replaceAll(` "${v.slice(0, 40)}"`, '').replaceAll(`"${v}"`, '')
    if (v.length >= 3) m = m.replace(new RegExp(`(?<![A-Za-z0-9_-])${escapeRe(v)}(?![A-Za-z0-9_-])`, 'g'), '****')
  }
  return m
}

/**
 * The error to show for anything oclif's parser threw: code `invalid_flags` or
 * `invalid_args`, exit 2, no secret values, a pointer to the command's help.
 */
export function usageError(err: unknown, ctx: {commandId: string | undefined; bin: string; secrets: readonly string[]; values?: readonly string[]}): VcashError {
  const e = err as Error
  const name = e?.constructor?.name ?? ''
  const code = ARG_ERRORS.has(name) ? 'invalid_args' : 'invalid_flags'
  let text = typeof e?.message === 'string' ? e.message : String(err)
  const missing = (e as {args?: {name?: string; options?: string[]}[]}).args
  if (name === 'RequiredArgsError' && Array.isArray(missing)) {
    // oclif's version is a column-wrapped table of the args' descriptions.
    const list = missing.filter((a) => a.name).map((a) => `${a.name!.toUpperCase()}${a.options ? ` (one of: ${a.options.join(', ')})` : ''}`)
    text = `missing required argument${missing.length === 1 ? '' : 's'}${list.length > 0 ? `: ${list.join(', ')}` : ''}`
  }
  const message = redact(withoutValues(cleanParseMessage(text), ctx.values ?? []), ctx.secrets) || 'invalid command line'
  const cmd = ctx.commandId ? `${ctx.bin} ${ctx.commandId.replaceAll(':', ' ')}` : ctx.bin
  return new VcashError(code, message, {exit: EXIT.usage, suggestion: `Run \`${cmd} --help\` for its flags and arguments.`})
}

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/** The closest command id to `id` (ids use ':'), when it is close enough to suggest. */
export function closestCommand(id: string, ids: readonly string[]): string | undefined {
  let best: {id: string; d: number} | undefined
  for (const c of ids) {
    const d = distance(id, c)
    if (!best || d < best.d) best = {id: c, d}
  }
  if (!best) return undefined
  return best.d <= Math.max(2, Math.floor(id.length / 3)) ? best.id : undefined
}

/** The words of `id` that are known command/topic prefixes, plus the first unknown one. */
export function commandPart(id: string, ids: readonly string[]): string {
  const prefixes = new Set<string>()
  for (const c of ids) {
    const parts = c.split(':')
    for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join(':'))
  }
  const words = id.split(':')
  const kept: string[] = []
  for (const w of words) {
    kept.push(w)
    if (!prefixes.has(kept.join(':'))) break
  }
  return kept.join(':')
}
