/** Days as the merchant counts them: Cairo's calendar (with its summer time), whatever the server's zone. */
const OFFSET_FMT = new Intl.DateTimeFormat('en-US', {timeZone: 'Africa/Cairo', timeZoneName: 'longOffset'})
const DAY_FMT = new Intl.DateTimeFormat('en-CA', {timeZone: 'Africa/Cairo', year: 'numeric', month: '2-digit', day: '2-digit'})

function offsetMinutes(at: number): number {
  const name = OFFSET_FMT.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0
}

/** The Cairo date (YYYY-MM-DD) of an instant. */
export function cairoDate(at: Date): string {
  return DAY_FMT.format(at)
}

/** The instant Cairo's day `date` (YYYY-MM-DD) begins. */
export function cairoMidnight(date: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number]
  const wall = Date.UTC(y, mo - 1, d)
  // Cairo moves its clocks at midnight in spring: take the offset in force just after the wall time.
  const guess = wall - offsetMinutes(wall) * 60_000
  return new Date(wall - offsetMinutes(guess) * 60_000)
}

export function addDays(date: string, n: number): string {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, mo - 1, d + n)).toISOString().slice(0, 10)
}

/** The Cairo days from `days - 1` days ago through today, oldest first, each with its [start, end). */
export function lastDays(now: Date, days: number): {date: string; start: Date; end: Date}[] {
  const today = cairoDate(now)
  const out = []
  for (let i = days - 1; i >= 0; i--) {
    const date = addDays(today, -i)
    out.push({date, start: cairoMidnight(date), end: cairoMidnight(addDays(date, 1))})
  }
  return out
}

/** The week as Egypt counts it (Saturday first): the Cairo date of its Saturday. */
export function weekStart(now: Date): string {
  const today = cairoDate(now)
  const [y, mo, d] = today.split('-').map(Number) as [number, number, number]
  const dow = new Date(Date.UTC(y, mo - 1, d)).getUTCDay() // 0 Sunday … 6 Saturday
  return addDays(today, -((dow + 1) % 7))
}

export function isDate(s: string | undefined): s is string {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`))
}
