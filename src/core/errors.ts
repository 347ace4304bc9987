/**
 * Two kinds of error (after Shopify's AbortError/BugError):
 * - `VcashError`: the user can fix it. Stable `code`, a message, an optional suggestion,
 *   the CLI exit code and the HTTP status it maps to.
 * - `BugError`: a broken invariant inside vcash. Always a 500 / exit 70.
 */
export const EXIT = {
  ok: 0,
  failure: 1, // an expectation failed (simulate), a check did not match
  usage: 2, // bad flags or arguments (oclif's own code)
  input: 65, // bad data in a file or stdin (EX_DATAERR)
  unavailable: 69, // a server or device is not reachable (EX_UNAVAILABLE)
  bug: 70, // internal error (EX_SOFTWARE)
  cantCreate: 73, // data dir locked / not writable (EX_CANTCREAT)
  config: 78, // configuration problem (EX_CONFIG)
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export interface VcashErrorOptions {
  suggestion?: string
  exit?: ExitCode
  http?: number
  /** Field-level problems, for validation errors. */
  errors?: {field: string; message: string}[]
  cause?: unknown
}

export class VcashError extends Error {
  readonly code: string
  readonly suggestion?: string
  readonly exit: ExitCode
  readonly http: number
  readonly errors?: {field: string; message: string}[]

  constructor(code: string, message: string, opts: VcashErrorOptions = {}) {
    super(message, {cause: opts.cause})
    this.name = 'VcashError'
    this.code = code
    this.suggestion = opts.suggestion
    this.exit = opts.exit ?? EXIT.usage
    this.http = opts.http ?? 400
    this.errors = opts.errors
  }
}

export class BugError extends Error {
  readonly code = 'internal_error'
  constructor(message: string, cause?: unknown) {
    super(message, {cause})
    this.name = 'BugError'
  }
}

export function invalidInput(field: string, message: string, suggestion?: string): VcashError {
  return new VcashError('invalid_input', `${field}: ${message}`, {
    suggestion,
    exit: EXIT.usage,
    http: 400,
    errors: [{field, message}],
  })
}
