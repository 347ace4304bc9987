import type {Hook} from '@oclif/core'

import {installJsonErrors} from '../cli/json-errors.js'

/** Before any command (ours or a plugin's): the --json error contract for all of them. */
const hook: Hook<'init'> = async function () {
  installJsonErrors()
}

export default hook
