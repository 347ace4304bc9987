import {Command, Errors, type Interfaces} from '@oclif/core'
import chalk from 'chalk'

import {isSecretFlag, PROFILE_BACKED_ENV, profile, splitListFlags} from './flags.js'
import {type FlagDefLike, redact, secretValues, usageError} from './errors.js'
import {BugError, EXIT, VcashError} from '../core/errors.js'
import {DEFAULT_PROFILE, openProfile} from './profiles.js'
import {type LocalVcash, openLocal} from '../app/runtime.js'

// oclif's parser types (FlagOutput/ArgOutput/Metadata are not exported from @oclif/core).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif's own parse output type is this shape
type Output = {[name: string]: any}
type Metadata = Interfaces.ParserOutput['metadata']
type FlagDef = FlagDefLike & {multiple?: boolean; delimiter?: string; parse?: (input: string, ctx: unknown, opts: unknown) => Promise<unknown>}

/**
 * Every vcash command extends this. It owns the CLI edge only: colour policy, turning
 * VcashError into a message with a suggestion and the right exit code (also under --json),
 * and the rule that results go to stdout while everything else goes to stderr.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true
  /** `--profile` on every command: which `vcash config` profile fills unset flags. */
  static override baseFlags = {profile}
  /** `--database-url` of a command that has it: withData opens PostgreSQL instead of the data dir's store. */
  protected databaseUrl: string | undefined

  override async init(): Promise<void> {
    await super.init()
    // chalk 5 ignores NO_COLOR by itself, and colour in a pipe corrupts whatever reads it.
    if (process.env.NO_COLOR !== undefined || !process.stdout.isTTY) chalk.level = 0
  }

  /**
   * Parse, then (for every command, in one place):
   * - any parser failure becomes a small `invalid_flags`/`invalid_args` VcashError (exit 2)
   *   with secret flag values cut out, instead of oclif's error carrying the whole parse context;
   * - list flags given through their env var (`VCASH_TRUST_PROXY=a,b`) are split like the flag form;
   * - flags backed by a profile key (see PROFILE_BACKED_ENV) that were given neither as a flag nor
   *   through their env var take the active profile's value: flag > env > profile > default.
   */
  protected override async parse<F extends Output, B extends Output, A extends Output>(
    options?: Interfaces.Input<F, B, A>,
    argv: string[] = this.argv,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = (options ?? this.ctor) as Interfaces.Input<F, B, A>
    const defs = {...input.baseFlags, ...input.flags} as unknown as Record<string, FlagDef>
    let out: Interfaces.ParserOutput<F, B, A>
    try {
      out = await super.parse(options, argv)
    } catch (error) {
      if (error instanceof VcashError) throw error
      throw usageError(error, {commandId: this.id, bin: this.config.bin, secrets: secretValues(argv, defs, isSecretFlag)})
    }
    const values = out.flags as Record<string, unknown>
    splitListFlags(defs, values)
    await this.applyProfile(defs, values, out.metadata)
    if (typeof values['database-url'] === 'string') this.databaseUrl = values['database-url']
    return out
  }

  private async applyProfile(defs: Record<string, FlagDef>, values: Record<string, unknown>, metadata: Metadata): Promise<void> {
    const backed = Object.entries(defs).filter(([, d]) => d.env !== undefined && PROFILE_BACKED_ENV[d.env] !== undefined)
    if (backed.length === 0) return
    const name = typeof values.profile === 'string' ? values.profile : DEFAULT_PROFILE
    const profiles = await openProfile(this.config.configDir, name)
    const fromProfile = profiles.resolve(name)
    for (const [flagName, def] of backed) {
      const key = PROFILE_BACKED_ENV[def.env!]!
      const raw = fromProfile[key]
      if (raw === undefined) continue
      const given = values[flagName] !== undefined && !metadata.flags[flagName]?.setFromDefault
      const fromEnv = Boolean(process.env[def.env!])
      if (given || fromEnv) continue
      try {
        values[flagName] = def.parse ? await def.parse(raw, this, def) : raw
      } catch (error) {
        const secrets = isSecretFlag(flagName, def) ? [raw] : []
        throw new VcashError('invalid_profile', `profile "${name}", ${key}: ${redact((error as Error).message, secrets)}`, {
          exit: EXIT.config,
          suggestion: `Fix it with \`vcash config set ${key} <value> --profile ${name}\`.`,
        })
      }
      if (metadata.flags[flagName]) metadata.flags[flagName].setFromDefault = false
    }
  }

  /** Progress, hints and warnings: stderr, so `vcash … --json | jq` always works. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  /** True when we may prompt: a TTY on stdin and not in --json mode. */
  protected canPrompt(): boolean {
    return Boolean(process.stdin.isTTY) && !this.jsonEnabled() && process.env.CI === undefined
  }

  /**
   * Open the data dir's ledger for one command. SQLite lets this run beside a `vcash serve` on
   * the same data dir: both see the same committed state, and the server delivers whatever
   * this command queued at its next outbox poll. With --database-url, the same on PostgreSQL.
   */
  protected async withData<T>(dataDir: string, fn: (l: LocalVcash) => Promise<T>): Promise<T> {
    const local = await openLocal({dataDir, databaseUrl: this.databaseUrl, holder: this.id ?? 'cli', onImport: (r) => this.note(`Imported the old data dir: ${r.stores} stores, ${r.transactions} transactions, ${r.sms} SMS, ${r.notifications} notifications, ${r.credits} credits (old files kept in ${r.keptIn}).`)})
    try {
      return await fn(local)
    } finally {
      await local.close()
    }
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof VcashError) {
      if (this.jsonEnabled()) {
        this.logJson({status: false, code: err.code, message: err.message, suggestion: err.suggestion ?? null, errors: err.errors ?? undefined})
        process.exitCode = err.exit
        return
      }
      this.error(err.message, {exit: err.exit, code: err.code, suggestions: err.suggestion ? [err.suggestion] : undefined})
    }
    if (err instanceof BugError) {
      if (this.jsonEnabled()) {
        this.logJson({status: false, code: err.code, message: err.message})
        process.exitCode = EXIT.bug
        return
      }
      this.error(`internal error: ${err.message} (please report this)`, {exit: EXIT.bug})
    }
    // Other oclif errors (this.error, this.exit): under --json, a small object and their exit
    // code (oclif's own catch would dump the error's every field and exit 1).
    if (err instanceof Errors.CLIError || (err as {oclif?: unknown}).oclif) {
      const exit = (err as {oclif?: {exit?: number}}).oclif?.exit ?? 1
      if (this.jsonEnabled()) {
        if (!(err instanceof Errors.ExitError)) {
          const suggestions = (err as {suggestions?: string[]}).suggestions
          this.logJson({status: false, code: (err as {code?: string}).code ?? 'error', message: err.message, suggestion: suggestions?.[0] ?? null})
        }
        process.exitCode = exit
        return
      }
      return super.catch(err)
    }
    if (this.jsonEnabled()) {
      this.logJson({status: false, code: 'internal_error', message: err.message})
      process.exitCode = EXIT.bug
      return
    }
    this.error(err.message, {exit: EXIT.bug})
  }
}
