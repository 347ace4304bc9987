import {Command, Errors} from '@oclif/core'
import chalk from 'chalk'

import {BugError, EXIT, VcashError} from './lib/errors.js'
import {type LocalVcash, openLocal} from './lib/runtime.js'

/**
 * Every vcash command extends this. It owns the CLI edge only: colour policy, turning
 * VcashError into a message with a suggestion and the right exit code (also under --json),
 * and the rule that results go to stdout while everything else goes to stderr.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  override async init(): Promise<void> {
    await super.init()
    // chalk 5 ignores NO_COLOR by itself, and colour in a pipe corrupts whatever reads it.
    if (process.env.NO_COLOR !== undefined || !process.stdout.isTTY) chalk.level = 0
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
   * this command queued at its next outbox poll.
   */
  protected async withData<T>(dataDir: string, fn: (l: LocalVcash) => Promise<T>): Promise<T> {
    const local = await openLocal({dataDir, holder: this.id ?? 'cli', onImport: (r) => this.note(`Imported the old data dir: ${r.stores} stores, ${r.transactions} transactions, ${r.sms} SMS, ${r.notifications} notifications, ${r.credits} credits (old files kept in ${r.keptIn}).`)})
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
    // oclif's own errors (bad flags → exit 2) keep their behaviour.
    if (err instanceof Errors.CLIError || (err as {oclif?: unknown}).oclif) return super.catch(err)
    if (this.jsonEnabled()) {
      this.logJson({status: false, code: 'internal_error', message: err.message})
      process.exitCode = EXIT.bug
      return
    }
    this.error(err.message, {exit: EXIT.bug})
  }
}
