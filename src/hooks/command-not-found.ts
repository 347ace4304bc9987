import {Errors, type Hook} from '@oclif/core'

import {closestCommand, commandPart, redact} from '../cli/errors.js'
import {EXIT} from '../core/errors.js'

/**
 * An unknown command is a usage error: exit 2 (EXIT.usage, oclif's own code for it), with and
 * without --json. Under --json, stdout gets one small object like every other vcash error:
 * {status: false, code: 'command_not_found', message, suggestion}. The typed words are not
 * echoed beyond the command id itself (never the rest of argv, which may hold secrets).
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const ids = opts.config.commandIDs.filter((id) => !opts.config.findCommand(id)?.hidden)
  // oclif folds every bare word after an unknown command into its id ("config lsit device-token
  // vd_…"): name only the known topic words and the first unknown one, never what followed.
  const id = commandPart(opts.id, ids)
  const bin = opts.config.bin
  const parent = id.split(':').slice(0, -1).join(':')
  let code: string
  let message: string
  let suggestion: string
  if (parent && ids.includes(parent)) {
    // `vcash store list extra`: a real command given words it does not take.
    code = 'invalid_args'
    message = `\`${bin} ${parent.replaceAll(':', ' ')}\` takes no arguments`
    suggestion = `Run \`${bin} ${parent.replaceAll(':', ' ')} --help\` for its flags.`
  } else {
    const typed = redact(id.replaceAll(':', ' '), [])
    const shown = typed.length > 60 ? `${typed.slice(0, 59)}…` : typed
    const near = closestCommand(id, ids)
    code = 'command_not_found'
    message = `${bin} has no command "${shown}"`
    suggestion = near ? `Did you mean \`${bin} ${near.replaceAll(':', ' ')}\`? Run \`${bin} --help\` for all commands.` : `Run \`${bin} --help\` for all commands.`
  }
  const argv = opts.argv ?? []
  const dash = argv.indexOf('--')
  const json = argv.slice(0, dash === -1 ? undefined : dash).includes('--json') || process.env.VCASH_CONTENT_TYPE?.toLowerCase() === 'json'
  if (json) {
    process.stdout.write(`${JSON.stringify({status: false, code, message, suggestion}, null, 2)}\n`)
    process.exitCode = EXIT.usage
    return
  }
  if (code === 'command_not_found' && process.stdin.isTTY && process.stderr.isTTY && process.env.CI === undefined) {
    // On a terminal, @oclif/plugin-not-found asks "Did you mean …? (y/N)" and runs the command
    // on yes. It is not listed in oclif.plugins: oclif runs every plugin's hook for the event at
    // once, so both would answer. It runs from here instead, only where a person can answer.
    const {default: notFound} = await import('@oclif/plugin-not-found')
    try {
      return await notFound.call(this, opts)
    } catch (error) {
      // Declined: its error exits 127; an unknown command is a usage error (2) in vcash.
      if ((error as {oclif?: {exit?: number}}).oclif?.exit === 127) throw new Errors.CLIError(`Run \`${bin} --help\` for all commands.`, {exit: EXIT.usage, code})
      throw error
    }
  }
  throw new Errors.CLIError(message, {exit: EXIT.usage, code, suggestions: [suggestion]})
}

export default hook
