import type {Hook} from '@oclif/core'

/**
 * Before any command (ours or a plugin's): the --json error contract for all of them. Loaded on
 * every start, so it imports nothing unless --json is on the command line (start-up time).
 */
const hook: Hook<'init'> = async function (opts) {
  const argv = opts.argv ?? []
  const dash = argv.indexOf('--')
  const json = argv.slice(0, dash === -1 ? undefined : dash).includes('--json') || process.env.VCASH_CONTENT_TYPE?.toLowerCase() === 'json'
  if (!json) return
  const {installJsonErrors} = await import('../cli/json-errors.js')
  installJsonErrors()
}

export default hook
