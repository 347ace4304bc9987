import type {RunResult} from './runner.js'

function esc(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** JUnit XML as CI systems read it: one testsuite per scenario, one testcase per step. */
export function toJunit(results: RunResult[], totalSteps: number[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>']
  const tests = totalSteps.reduce((a, b) => a + b, 0)
  const failures = results.reduce((a, r) => a + r.failed, 0)
  const skipped = results.reduce((a, r, i) => a + (totalSteps[i]! - r.steps.length), 0)
  const time = (ms: number) => (ms / 1000).toFixed(3)
  lines.push(`<testsuites name="vcash simulate" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${time(results.reduce((a, r) => a + r.duration_ms, 0))}">`)
  for (const [i, r] of results.entries()) {
    const skip = totalSteps[i]! - r.steps.length
    lines.push(`  <testsuite name="${esc(r.scenario)}" tests="${totalSteps[i]}" failures="${r.failed}" errors="0" skipped="${skip}" time="${time(r.duration_ms)}">`)
    lines.push(`    <properties><property name="target" value="${esc(r.target)}"/></properties>`)
    for (const s of r.steps) {
      const name = `${String(s.index).padStart(2, '0')} ${s.name}`
      lines.push(`    <testcase classname="${esc(r.scenario)}" name="${esc(name)}" time="${time(s.duration_ms)}">`)
      if (!s.ok) lines.push(`      <failure message="${esc(`expected ${s.expected}, got ${s.actual}`)}" type="expectation">${esc(`step ${s.index} (${s.name}): expected ${s.expected}\ngot: ${s.actual}\n${s.message}`)}</failure>`)
      lines.push('    </testcase>')
    }
    for (let k = r.steps.length; k < totalSteps[i]!; k++) {
      lines.push(`    <testcase classname="${esc(r.scenario)}" name="${String(k + 1).padStart(2, '0')} (not run)" time="0"><skipped message="an earlier step failed"/></testcase>`)
    }
    lines.push('  </testsuite>')
  }
  lines.push('</testsuites>')
  return `${lines.join('\n')}\n`
}
