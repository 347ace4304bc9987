/**
 * Labelled tables for list commands (oclif 4 dropped ux.table), and RFC 4180 CSV for the same
 * rows. Small on purpose: a header row, left/right aligned columns sized to their content, an
 * optional colour per cell, `--columns` to choose and order columns. No oclif here.
 */
import {stripVTControlCharacters} from 'node:util'

import {Flags} from '@oclif/core'

import {EXIT, VcashError} from '../core/errors.js'

export interface Column<R> {
  /** The name `--columns` and the CSV header use (snake_case, like the --json keys). */
  key: string
  /** The label printed over the column. */
  header: string
  get: (row: R) => string | number | null | undefined
  align?: 'left' | 'right'
  /** Colour for the terminal (table only; never in CSV). */
  colour?: (text: string, row: R) => string
  /** Left out of the table unless asked for with --columns (still in CSV). */
  extra?: boolean
}

/** `--columns a,b,c`: choose and order the columns of a list command. */
export const columnsFlag = Flags.string({summary: 'Only these columns, in this order (comma-separated keys; see the header, e.g. id,status,amount).', helpValue: 'KEYS'})
/** `--csv`: the rows as RFC 4180 CSV on stdout (header row, CRLF, quoted where needed). */
export const csvFlag = Flags.boolean({summary: 'Print the rows as CSV (RFC 4180) instead of a table.', exclusive: ['json']})

const EMPTY = '-'

/** The columns `--columns` names, in its order; unknown keys are a usage error naming the known ones. */
export function pickColumns<R>(all: readonly Column<R>[], spec: string | undefined, forCsv = false): Column<R>[] {
  if (spec === undefined) return all.filter((c) => forCsv || !c.extra)
  const keys = spec.split(',').map((k) => k.trim()).filter(Boolean)
  const unknown = keys.filter((k) => !all.some((c) => c.key === k))
  if (keys.length === 0 || unknown.length > 0) {
    throw new VcashError('invalid_flags', `--columns: ${keys.length === 0 ? 'no column named' : `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}`}`, {exit: EXIT.usage, suggestion: `Columns: ${all.map((c) => c.key).join(', ')}.`})
  }
  return keys.map((k) => all.find((c) => c.key === k)!)
}

function cell<R>(c: Column<R>, row: R): string {
  const v = c.get(row)
  return v === null || v === undefined || v === '' ? '' : String(v)
}

/** Terminal columns a string takes: escape codes and combining marks take none. */
export function displayWidth(s: string): number {
  let w = 0
  for (const {segment} of new Intl.Segmenter(undefined, {granularity: 'grapheme'}).segment(stripVTControlCharacters(s))) {
    const cp = segment.codePointAt(0)!
    // East Asian wide and emoji: two columns. (Arabic, Latin: one.)
    w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ? 2 : 1
  }
  return w
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)))
  return align === 'right' ? fill + s : s + fill
}

/** A header row, then one line per row; the last column is not padded (no trailing spaces). */
export function renderTable<R>(rows: readonly R[], columns: readonly Column<R>[], opts: {header?: (s: string) => string} = {}): string {
  const texts = rows.map((r) => columns.map((c) => cell(c, r) || EMPTY))
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...texts.map((t) => displayWidth(t[i]!))))
  const line = (parts: string[]) => parts.join('  ').replace(/\s+$/, '')
  const head = line(columns.map((c, i) => pad(c.header, i === columns.length - 1 ? 0 : widths[i]!, c.align ?? 'left')))
  const out = [opts.header ? opts.header(head) : head]
  for (const [ri, t] of texts.entries()) {
    out.push(line(columns.map((c, i) => {
      const last = i === columns.length - 1 && (c.align ?? 'left') === 'left'
      const padded = pad(t[i]!, last ? 0 : widths[i]!, c.align ?? 'left')
      return c.colour && t[i] !== EMPTY ? padded.replace(t[i]!, c.colour(t[i]!, rows[ri]!)) : padded
    })))
  }
  return `${out.join('\n')}\n`
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. Text
 * a spreadsheet would run as a formula (=, +, -, @, tab or CR first, and not a plain number such
 * as -5 or a phone such as +2010…) gets a leading apostrophe: payer names come from SMS.
 */
export function csvField(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value)
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d[\d.]*$/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function csvRow(values: readonly (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`
}

export function csvHeader<R>(columns: readonly Column<R>[]): string {
  return csvRow(columns.map((c) => c.key))
}

export function csvRows<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  return rows.map((r) => csvRow(columns.map((c) => cell(c, r)))).join('')
}

export function renderCsv<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  return csvHeader(columns) + csvRows(rows, columns)
}
