import {pino, type DestinationStream, type Level, type Logger} from 'pino'

export type {Logger} from 'pino'

export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export interface LogOptions {
  /** pretty for a person at a terminal, json (one object a line) for journald/Loki/jq. */
  format: LogFormat
  level: (typeof LOG_LEVELS)[number]
  /** Where the lines go (stderr: stdout is the startup banner's, and a pipe's reader's). */
  stream: NodeJS.WritableStream
  /** Colour the pretty level names; decided from this stream, never from stdout. */
  color: boolean
}

/** pretty on a terminal, json otherwise; colour only on a terminal and never with NO_COLOR. */
export function defaultLogOptions(stream: NodeJS.WritableStream & {isTTY?: boolean} = process.stderr, env: NodeJS.ProcessEnv = process.env): LogOptions {
  const tty = Boolean(stream.isTTY)
  return {format: tty ? 'pretty' : 'json', level: 'info', stream, color: tty && env.NO_COLOR === undefined}
}

/**
 * The server's logger: pino, one line per event. The pretty form is our own small formatter
 * rather than pino-pretty, which is a dev dependency and runs in a worker thread: a line here
 * is "time LEVEL message key=value …", written synchronously like the json form.
 */
export function createLogger(o: LogOptions): Logger {
  const opts = {level: o.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime}
  if (o.format === 'json') return pino(opts, o.stream as DestinationStream)
  const out = o.stream
  return pino(opts, {write: (line: string) => void out.write(prettyLine(line, o.color))})
}

/** A logger that drops everything (servers started in-process by tests and `simulate`). */
export function silentLogger(): Logger {
  return pino({level: 'silent'})
}

const LEVEL_NAMES: Record<number, Level> = {10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal'}
const COLOURS: Record<Level, string> = {trace: '90', debug: '36', info: '32', warn: '33', error: '31', fatal: '35'}

export function prettyLine(json: string, color: boolean): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const {time, level, msg, err, ...rest} = o
  const name = LEVEL_NAMES[Number(level)] ?? 'info'
  const label = name.toUpperCase().padEnd(5)
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`)
  const stack = err && typeof err === 'object' && typeof (err as {stack?: unknown}).stack === 'string' ? `\n${(err as {stack: string}).stack}` : ''
  const head = color ? `\u001B[${COLOURS[name]}m${label}\u001B[39m` : label
  return `${String(time)} ${head} ${String(msg ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}${stack}\n`
}

/** 01012345678 → 010****5678: enough for an operator to recognise a customer, not to call them. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null
  const digits = phone.replace(/\D/g, '')
  if (digits.length < 8) return '****'
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`
}
