/**
 * The --json error contract for commands vcash does not own (help, version, autocomplete from
 * oclif's plugins): oclif's Command.catch prints `{error: {...err}}` under --json, i.e. the whole
 * parse context (config, argv, flag values), and exits 1 whatever the error says. Patched once
 * per process from the `init` hook, so every command's --json error is `{status: false, code,
 * message, suggestion}` with the error's own exit code and no flag values. BaseCommand
 * overrides catch itself and never reaches this for its --json errors.
 */
import {Command} from '@oclif/core'

import {type FlagDefLike, isSecretOptionFlag, optionValues, redact, secretValues, usageError} from './errors.js'

const PATCHED = Symbol.for('vcash.jsonErrors')

/** oclif's parser errors carry `parse` (the whole parse input): those are usage errors. */
function isParseError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'parse' in err
}

/** `--json` among the words before `--`, whether or not the command defines it. */
export function wantsJson(argv: readonly string[]): boolean {
  const dash = argv.indexOf('--')
  return argv.slice(0, dash === -1 ? undefined : dash).includes('--json') || process.env.VCASH_CONTENT_TYPE?.toLowerCase() === 'json'
}

type Cmd = Command & {ctor: {flags?: Record<string, FlagDefLike>; baseFlags?: Record<string, FlagDefLike>}}

export function smallError(cmd: Cmd, err: unknown): {body: {status: false; code: string; message: string; suggestion: string | null}; exit: number} {
  const defs = {...cmd.ctor.baseFlags, ...cmd.ctor.flags}
  const secrets = secretValues(cmd.argv, defs, isSecretOptionFlag)
  if (isParseError(err)) {
    const u = usageError(err, {commandId: cmd.id, bin: cmd.config.bin, secrets, values: optionValues(cmd.argv, defs)})
    return {body: {status: false, code: u.code, message: u.message, suggestion: u.suggestion ?? null}, exit: u.exit}
  }
  const e = err as {message?: unknown; code?: unknown; oclif?: {exit?: number}; exitCode?: number; suggestions?: string[]}
  const message = redact(typeof e?.message === 'string' ? e.message : String(err), secrets)
  return {
    body: {status: false, code: typeof e?.code === 'string' ? e.code : 'error', message: message.length > 400 ? `${message.slice(0, 399)}…` : message, suggestion: e?.suggestions?.[0] ?? null},
    exit: e?.oclif?.exit ?? e?.exitCode ?? 1,
  }
}

export function installJsonErrors(): void {
  const proto = Command.prototype as unknown as Record<symbol | string, unknown> & {catch: (err: Error) => Promise<unknown>}
  if (proto[PATCHED]) return
  proto[PATCHED] = true
  const original = proto.catch
  proto.catch = async function (this: Cmd, err: Error) {
    if (!wantsJson(this.argv)) return original.call(this, err)
    const {body, exit} = smallError(this, err)
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
    process.exitCode = exit
  }
}
