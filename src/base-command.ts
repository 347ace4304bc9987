import {Command, Errors} from '@oclif/core'
import chalk from 'chalk'

import {BugError, EXIT, VcashError} from './lib/errors.js'
import {AdminClient, type LocalVcash, openLocal, runningServer} from './lib/runtime.js'

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
   * Run against a data dir: through the running server's admin API when a server owns it,
   * otherwise by opening it here (taking its lock). Never two writers on one file.
   */
  protected async withData<T>(dataDir: string, ops: {remote(c: AdminClient): Promise<T>; local(l: LocalVcash): Promise<T>}): Promise<T> {
    const info = runningServer(dataDir)
    if (info) return ops.remote(new AdminClient(info))
    // Notifications (queued in the same commit as a change) are wired only where data is opened,
    // so commands that never touch a data dir don't load the server's modules.
    await import('./lib/wiring.js')
    const local = await openLocal({dataDir, holder: this.id ?? 'cli'})
    try {
      return await ops.local(local)
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
