/** Durations as people write them in flags, scenarios and settings: one grammar for all of them. */
const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000}

/**
 * "90s", "25h", "1h30m", "-2d" → milliseconds. A sign lets a scenario date a transfer in the
 * past. Throws on anything else, with the accepted forms in the message (never the input: it
 * may have been typed into the wrong flag and be a secret).
 */
export function parseDuration(text: string): number {
  const m = /^\s*([+-]?)\s*((?:\d+(?:\.\d+)?\s*(?:ms|min|s|m|h|d)\s*)+)$/i.exec(text)
  if (!m) throw new Error('not a duration (e.g. 90s, 30m, 25h, 1h30m, 3d)')
  let ms = 0
  for (const [, n, unit] of m[2]!.matchAll(/(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)/gi)) ms += Number(n) * UNITS[unit!.toLowerCase()]!
  return Math.round(m[1] === '-' ? -ms : ms)
}
