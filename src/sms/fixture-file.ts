/**
 * The SMS fixture format (fixtures/sms/*.txt), shared by tests and `vcash sms ingest`:
 *
 *   From: VF-Cash
 *   Received: 2026-04-13T20:04:09Z      (optional)
 *
 *   <body, exactly, line breaks included>
 *
 * The headers end at the first blank line. The file's final newline is an editor's habit,
 * not part of the SMS, so one trailing newline is dropped.
 */
import {EXIT, VcashError} from '../core/errors.js'

export interface FixtureSms {
  sender: string
  receivedAt: string | null
  body: string
}

function bad(message: string): VcashError {
  return new VcashError('invalid_fixture', `SMS fixture: ${message}`, {
    suggestion: 'Start the file with "From: <sender id>", an optional "Received: <ISO-8601 time>", then a blank line and the SMS body.',
    exit: EXIT.input,
    http: 400,
  })
}

export function parseFixtureText(text: string): FixtureSms {
  if (typeof text !== 'string') throw bad('not text')
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text
  const sep = /\r?\n\r?\n/.exec(src)
  if (!sep) throw bad('no blank line between the headers and the body')
  const headerLines = src.slice(0, sep.index).split(/\r?\n/)
  let body = src.slice(sep.index + sep[0].length)
  if (body.endsWith('\r\n')) body = body.slice(0, -2)
  else if (body.endsWith('\n')) body = body.slice(0, -1)

  let sender: string | null = null
  let receivedAt: string | null = null
  for (const line of headerLines) {
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line)
    if (!m) throw bad(`header line "${line.slice(0, 40)}" is not "Name: value"`)
    const key = m[1]!.toLowerCase()
    const value = m[2]!.trim()
    if (key === 'from') {
      if (sender !== null) throw bad('more than one From header')
      if (value === '') throw bad('the From header is empty')
      sender = value
    } else if (key === 'received') {
      if (receivedAt !== null) throw bad('more than one Received header')
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
        throw bad(`Received "${value.slice(0, 40)}" is not an ISO-8601 time with a zone (e.g. 2026-04-13T20:04:09Z)`)
      }
      receivedAt = value
    } else {
      throw bad(`unknown header "${m[1]}" (only From and Received)`)
    }
  }
  if (sender === null) throw bad('missing the From header')
  return {sender, receivedAt, body}
}
