import {parse as parseYaml} from 'yaml'
import {z} from 'zod'

import {EXIT, VcashError} from '../core/errors.js'
import {parseDuration as coreParseDuration} from '../core/duration.js'
import {PROVIDERS} from '../core/model.js'
import {LAYOUTS} from './render.js'

const str = z.union([z.string(), z.number().transform(String)])
const expectCheck = z.enum(['completed', 'not_found', 'requires_verification', 'rejected', 'already_confirmed', 'credit_pending', 'rate_limited', 'invalid_input'])
const status = z.enum(['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED'])
const event = z.enum(['transaction.received', 'transaction.completed', 'transaction.awaiting_approval', 'transaction.rejected', 'transaction.expired'])
const ingestOutcome = z.enum(['created', 'duplicate', 'ignored'])

/** A scenario's durations ("90s", "1h30m", "-2d"): the one grammar of core/duration.ts. */
export function parseDuration(text: string): number {
  try {
    return coreParseDuration(text)
  } catch {
    throw new Error(`"${text}" is not a duration (e.g. 90s, 30m, 25h, 1h30m, -2d)`)
  }
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    // A bare number is minutes, the unit a match window is set in.
    return typeof v === 'number' ? Math.round(v * 60_000) : parseDuration(v)
  } catch (error) {
    ctx.addIssue({code: 'custom', message: (error as Error).message})
    return z.NEVER
  }
})

/**
 * Where the store's notifications go. A bare kind points it at the run's own catcher; with a
 * `url` it keeps (or sets) the merchant's real endpoint and expect_callback reads the
 * server's delivery records instead.
 */
const callbackSetting = z.union([
  z.enum(['none', 'get', 'webhook', 'whmcs']),
  z.object({kind: z.enum(['get', 'webhook']), url: z.string().min(1)}).strict(),
  z.object({kind: z.literal('whmcs'), url: z.string().min(1), identifier: z.string().min(1), secret: z.string().min(1)}).strict(),
])

const storeSettings = z.object({
  callback: callbackSetting.optional(),
  anti_spam: z.object({
    enabled: z.boolean().optional(),
    amount_over: str.nullable().optional(),
    first_payment: z.boolean().optional(),
    failed_checks_before: z.number().int().nullable().optional(),
    duplicate_pending: z.boolean().optional(),
  }).strict().optional(),
  rate: str.optional(),
  currency_label: z.string().optional(),
  match_window_minutes: z.number().int().min(1).optional(),
}).strict()

/** Defaults for `--server` and friends; flags and env win. `${env.NAME}` keeps secrets out of the file. */
const target = z.object({
  server: z.string().optional(),
  store: z.string().optional(),
  device_token: z.string().optional(),
  api_token: z.string().optional(),
  signing_secret: z.string().optional(),
  data_dir: z.string().optional(),
  catcher_port: z.number().int().min(0).max(65_535).optional(),
  /** The store's receiving wallet(s) as provider:wallet: against a server given by URL alone, the run cannot read them. */
  pay_to: z.union([z.string(), z.array(z.string()).max(20)]).optional(),
}).strict()

const step = z.object({
  id: z.string().regex(/^[A-Za-z_][\w-]*$/, 'letters, digits, _ and -').optional(),
  name: z.string().optional(),
  transfer: z.object({
    phone: str,
    amount: str,
    provider: z.enum(PROVIDERS).default('vodafone_cash'),
    lang: z.enum(['ar', 'en']).optional(),
    layout: z.enum(LAYOUTS).optional(),
    /** When the phone received it: an offset from the run's clock ("-25h") or an ISO time. */
    received_at: z.string().optional(),
    expect: ingestOutcome.default('created'),
  }).strict().optional(),
  duplicate: z.object({of: z.string(), expect: ingestOutcome.default('duplicate')}).strict().optional(),
  sms: z.object({sender: z.string(), body: z.string(), received_at: z.string().optional(), expect: ingestOutcome}).strict().optional(),
  check: z.object({
    phone: str.optional(),
    reference: str.optional(),
    amount: str,
    user_name: str.optional(),
    client_id: str.optional(),
    lang: z.enum(['ar', 'en']).optional(),
    expect: expectCheck,
    /** The transaction the answer must name (matching is oldest first: which one matters). */
    transaction: z.string().optional(),
    /** Ask this many times; the last answer is the one checked (e.g. to reach rate_limited). */
    repeat: z.number().int().min(1).max(1000).default(1),
  }).strict().optional(),
  approve: z.object({transaction: z.string(), expect: status.default('COMPLETED')}).strict().optional(),
  reject: z.object({transaction: z.string(), reason: z.string().optional(), expect: status.default('REJECTED')}).strict().optional(),
  advance_clock: z.object({minutes: z.number().int().min(1).max(525_600).optional(), duration: duration.optional()}).strict()
    .refine((a) => (a.minutes === undefined) !== (a.duration === undefined), 'give minutes or duration (e.g. 25h), not both')
    .optional(),
  configure: storeSettings.optional(),
  expect_transaction: z.object({transaction: z.string(), status, within: duration.optional()}).strict().optional(),
  expect_callback: z.object({
    event: event.default('transaction.completed'),
    transaction: z.string(),
    channel: z.enum(['webhook', 'get', 'whmcs']).optional(),
    within_ms: z.number().int().min(1).max(600_000).optional(),
    within: duration.optional(),
  }).strict().optional(),
}).strict().superRefine((s, ctx) => {
  const kinds = STEP_KINDS.filter((k) => s[k] !== undefined)
  if (kinds.length !== 1) ctx.addIssue({code: 'custom', message: kinds.length === 0 ? `a step needs exactly one action (${STEP_KINDS.join(', ')})` : `a step has one action, not ${kinds.join(' and ')}`})
  if (s.check && s.check.phone === undefined && s.check.reference === undefined) ctx.addIssue({code: 'custom', path: ['check'], message: 'needs phone or reference'})
  if (s.expect_callback && s.expect_callback.within_ms !== undefined && s.expect_callback.within !== undefined) ctx.addIssue({code: 'custom', path: ['expect_callback'], message: 'give within or within_ms, not both'})
})

export const STEP_KINDS = ['transfer', 'duplicate', 'sms', 'check', 'approve', 'reject', 'advance_clock', 'configure', 'expect_transaction', 'expect_callback'] as const
export type StepKind = (typeof STEP_KINDS)[number]

export const scenarioSchema = z.object({
  name: z.string().default('scenario'),
  target: target.optional(),
  store: storeSettings.optional(),
  steps: z.array(step).min(1, 'a scenario needs steps'),
}).strict()

export type Scenario = z.output<typeof scenarioSchema>
export type Step = Scenario['steps'][number]
export type StoreSettingsStep = z.output<typeof storeSettings>
export type ScenarioTarget = z.output<typeof target>

export function stepKind(s: Step): StepKind {
  return STEP_KINDS.find((k) => s[k] !== undefined)!
}

/** Parse YAML or JSON text into a validated scenario; errors name the step and field. */
export function parseScenario(text: string, file = 'scenario'): Scenario {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (error) {
    throw new VcashError('invalid_scenario', `${file} is not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`, {exit: EXIT.input})
  }
  const r = scenarioSchema.safeParse(raw)
  if (!r.success) {
    const errors = r.error.issues.map((i) => ({field: i.path.join('.'), message: i.message}))
    throw new VcashError('invalid_scenario', `${file}: ${errors.map((e) => `${e.field || '(top)'}: ${e.message}`).join('; ')}`, {exit: EXIT.input, errors, suggestion: 'See `vcash simulate run --example` for a commented starter.'})
  }
  const ids = new Set<string>()
  for (const s of r.data.steps) {
    if (s.id && ids.has(s.id)) throw new VcashError('invalid_scenario', `${file}: step id "${s.id}" is used twice`, {exit: EXIT.input})
    if (s.id) ids.add(s.id)
  }
  return r.data
}

/** `${steps.t1.transaction_id}` and `${env.NAME}` in every string of a step. */
export function interpolate<T>(value: T, ctx: {steps: Record<string, Record<string, unknown>>; env: NodeJS.ProcessEnv}): T {
  if (typeof value === 'string') {
    return value.replace(/\$\{(steps|env)\.([\w-]+)(?:\.([\w-]+))?\}/g, (_m, scope: string, a: string, b?: string) => {
      if (scope === 'env') {
        const v = ctx.env[a]
        if (v === undefined) throw new VcashError('scenario_reference', `\${env.${a}} is not set`, {exit: EXIT.failure})
        return v
      }
      const step = ctx.steps[a]
      if (!step) throw new VcashError('scenario_reference', `\${steps.${a}…} refers to a step that has not run (or has no id "${a}")`, {exit: EXIT.failure})
      const v = b ? step[b] : undefined
      if (v === undefined || v === null) throw new VcashError('scenario_reference', `step "${a}" has no ${b ?? '(field)'}`, {exit: EXIT.failure})
      return String(v)
    }) as T
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, ctx)) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, ctx)])) as T
  return value
}

export const EXAMPLE_SCENARIO = `# vcash simulate run — a starter scenario. Run it with:
#   vcash simulate run scenario.yaml                               (in-process, throw-away data dir)
#   vcash simulate run scenario.yaml --reporter junit --out junit.xml
#   vcash simulate run scenario.yaml --server http://127.0.0.1:8080 --data-dir ./.vcash
# Steps run in order and the run stops at the first unmet expectation (exit 1).
# Give a step an id to use its results later: \${steps.<id>.transaction_id}, .reference,
# .status; \${env.NAME} reads an environment variable (keep secrets out of this file).
name: checkout happy path

# Optional: where to run when no --server is given (flags and VCASH_* env vars win).
# target:
#   server: \${env.VCASH_URL}
#   device_token: \${env.VCASH_DEVICE_TOKEN}
#   api_token: \${env.VCASH_API_TOKEN}
#   pay_to: vodafone_cash:\${env.SHOP_WALLET}   # the store's receiving wallet (server given by URL alone)

# The store under test. callback: none | get | webhook | whmcs points it at the run's own
# catcher (a fake WHMCS for whmcs); {kind: webhook, url: https://…} keeps your real endpoint
# and expect_callback then checks the server delivered it there.
store:
  callback: webhook

steps:
  # The customer sends 150 EGP from their wallet: the phone receives the receipt SMS, in the
  # wallet's real layout (provider: vodafone_cash | instapay | etisalat_cash | orange_cash;
  # layout: VF-R1…VF-R5, EA-R1, EA-R2, OR-R1 to pick one).
  - id: pay
    transfer: {phone: "01012345678", amount: "150", provider: vodafone_cash}

  # A wrong amount finds nothing…
  - check: {phone: "01012345678", amount: "15", user_name: "42", expect: not_found}

  # …the right one completes it (expect: completed | not_found | requires_verification |
  # rejected | rate_limited | invalid_input).
  - id: claim
    check: {phone: "01012345678", amount: "150", user_name: "42", expect: completed}

  # Your webhook receives the signed completion (the signature is verified).
  - expect_callback: {event: transaction.completed, transaction: "\${steps.pay.transaction_id}", within: 10s}

  # The phone's SMS forwarded twice is recognised.
  - duplicate: {of: pay}

  # Anti-spam: big transfers wait for your approval.
  - configure: {anti_spam: {enabled: true, amount_over: "1000"}}
  - id: big
    transfer: {phone: "01098765432", amount: "5000"}
  - id: held
    check: {phone: "01098765432", amount: "5000", user_name: "7", expect: requires_verification}
  - approve: {transaction: "\${steps.held.transaction_id}"}
  - expect_transaction: {transaction: "\${steps.big.transaction_id}", status: COMPLETED}

  # Unclaimed transfers expire after the match window (24 h by default). Moving the clock
  # works in-process and against \`vcash serve --dev\`; against any other server, date the
  # transfer in the past instead (received_at: -25h) and expect EXPIRED within 40s.
  - id: late
    transfer: {phone: "01111111111", amount: "20"}
  - advance_clock: {duration: 25h}
  - expect_transaction: {transaction: "\${steps.late.transaction_id}", status: EXPIRED}
`
