import type {RunResult} from './runner.js'

/**
 * Text safe in an XML 1.0 attribute or element: characters XML cannot carry at all (C0
 * controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) are dropped, the rest escaped.
 * Arabic SMS bodies and `${…}` references pass through unchanged.
 */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

export interface JunitSuite {
  result: RunResult
  /** The scenario file, shown by CI systems that link test cases to files. */
  file?: string
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3)

/**
 * JUnit XML in the shape Jenkins, GitLab, GitHub test-report actions and Azure read: one
 * testsuite per scenario, one testcase per step; a failed expectation is a <failure>, steps
 * after it are <skipped>.
 */
export function toJunit(suites: JunitSuite[]): string {
  const total = (r: RunResult) => r.steps.length + r.skipped
  const sum = (f: (r: RunResult) => number) => suites.reduce((a, s) => a + f(s.result), 0)
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>']
  lines.push(`<testsuites name="vcash simulate" tests="${sum(total)}" failures="${sum((r) => r.failed)}" errors="0" skipped="${sum((r) => r.skipped)}" time="${seconds(sum((r) => r.duration_ms))}">`)
  for (const {result: r, file} of suites) {
    const fileAttr = file ? ` file="${xmlEscape(file)}"` : ''
    lines.push(`  <testsuite name="${xmlEscape(r.scenario)}" tests="${total(r)}" failures="${r.failed}" errors="0" skipped="${r.skipped}" time="${seconds(r.duration_ms)}"${fileAttr}>`)
    lines.push(`    <properties><property name="target" value="${xmlEscape(r.target)}"/></properties>`)
    const name = (index: number, label: string) => `${String(index).padStart(2, '0')} ${label}`
    for (const s of r.steps) {
      lines.push(`    <testcase classname="${xmlEscape(r.scenario)}" name="${xmlEscape(name(s.index, s.name))}" time="${seconds(s.duration_ms)}"${fileAttr}>`)
      if (s.ok) {
        lines.push(`      <system-out>${xmlEscape(s.message ? `${s.actual}\n${s.message}` : s.actual)}</system-out>`)
      } else {
        const text = `step ${s.index} (${s.name}): expected ${s.expected}\ngot: ${s.actual}${s.message ? `\n${s.message}` : ''}`
        lines.push(`      <failure message="${xmlEscape(`expected ${s.expected}, got ${s.actual}`)}" type="${xmlEscape(s.type)}">${xmlEscape(text)}</failure>`)
      }
      lines.push('    </testcase>')
    }
    for (let k = r.steps.length + 1; k <= total(r); k++) {
      lines.push(`    <testcase classname="${xmlEscape(r.scenario)}" name="${name(k, '(not run)')}" time="0"${fileAttr}><skipped message="an earlier step failed"/></testcase>`)
    }
    lines.push('  </testsuite>')
  }
  lines.push('</testsuites>')
  return `${lines.join('\n')}\n`
}
