import {EXIT, VcashError} from '../core/errors.js'

/**
 * Every `--since`: an ISO-8601 date or time (a bare date is local midnight), or a duration
 * back from now (`90m`, `12h`, `3d`, `2w`). Answers an instant, never a string to compare.
 */
export function parseSince(input: string, now = Date.now()): Date {
  const s = input.trim()
  const rel = /^(\d{1,6})\s*([mhdw])$/i.exec(s)
  if (rel) {
    const unit = {m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}[(rel[2] as string).toLowerCase() as 'm' | 'h' | 'd' | 'w']
    return new Date(now - Number(rel[1]) * unit)
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (day) {
    const t = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])).getTime()
    if (!Number.isNaN(t)) return new Date(t)
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) {
    const t = Date.parse(s)
    if (!Number.isNaN(t)) return new Date(t)
  }
  // What was typed is not echoed (a usage error never repeats a flag's value).
  throw new VcashError('invalid_input', '--since is not a date or a duration', {
    suggestion: 'Use a date (2026-04-13), a time (2026-04-13T09:00:00+02:00) or a duration back from now (12h, 3d).',
    exit: EXIT.usage,
    errors: [{field: 'since', message: 'not a date'}],
  })
}
