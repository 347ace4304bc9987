/**
 * The store's receiving wallet(s) a simulated receipt is credited to, when the run is told them
 * (`--pay-to`, a scenario's `target.pay_to`) rather than reading them from the store: a device
 * token reads no store settings, so against `--server` alone the run cannot learn them.
 */
import {EXIT, type ExitCode, VcashError} from '../core/errors.js'
import {type PayTo, PROVIDERS} from '../core/model.js'
import {payToSchema} from '../core/store-settings.js'

/** `provider:wallet` entries, validated as the store setting `pay_to` is (a `vcash store set --pay-to` value works here). */
export function parsePayTo(values: readonly string[], label: string, exit: ExitCode = EXIT.usage): PayTo[] {
  return values.map((raw) => {
    const i = raw.indexOf(':')
    const r = payToSchema.safeParse({provider: raw.slice(0, Math.max(i, 0)), wallet: raw.slice(i + 1)})
    if (r.success) return r.data
    // The issue, not the value: a secret pasted into the wrong flag must not reach a CI log.
    const issue = r.error.issues[0]!
    const why = i <= 0 || issue.path[0] === 'provider' ? `the provider first, one of ${PROVIDERS.join(', ')}` : issue.path[0] === 'wallet' ? 'the wallet after the colon is missing or too long' : issue.message
    throw new VcashError('invalid_input', `${label} takes PROVIDER:WALLET (${why})`, {exit, suggestion: 'Give the store\'s receiving wallet as `vcash store show` or its checkout page shows it, e.g. vodafone_cash:01012345678.'})
  })
}

/** The gate a receipt naming a wallet outside the store's pay_to is held by (core/gates.ts walletHold). */
const WALLET_GATE = 'foreign_wallet'

/**
 * When the server held a simulated receipt at the receiving-wallet gate: what happened and the
 * flag that fixes it; otherwise null. `given` is the wallet list the run was told, if any.
 */
export function walletGateHint(holds: unknown, given: readonly PayTo[] | undefined): string | null {
  const hold = Array.isArray(holds) ? (holds as unknown[]).find((h): h is {gate: string; why?: unknown} => typeof h === 'object' && h !== null && (h as {gate?: unknown}).gate === WALLET_GATE) : undefined
  if (!hold) return null
  // The server's own words name the store's wallets (not a secret: the checkout page shows them).
  const said = typeof hold.why === 'string' ? ` (the server: "${plain(hold.why)}")` : ''
  const fix = given && given.length > 0
    ? `--pay-to ${given.map((p) => `${p.provider}:${p.wallet}`).join(', ')} is not the store's receiving wallet: pass the one its pay_to names`
    : `with --server alone the store's pay_to cannot be read and the receipt names a made-up wallet: pass --pay-to vodafone_cash:01… (the store's receiving wallet)`
  return `held by the server's receiving-wallet gate${said}; ${fix}.`
}

/** A server's text, one printable line: it reaches terminals and CI logs. */
function plain(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  return s.replace(/[\u0000-\u001F\u007F-\u009F]+/g, ' ').slice(0, 300)
}
