import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'

import {toJunit, xmlEscape} from '../../src/simulate/junit.js'
import type {RunResult, StepResult} from '../../src/simulate/runner.js'

function step(index: number, over: Partial<StepResult> = {}): StepResult {
  return {index, id: null, name: `check ${index}`, type: 'check', ok: true, expected: 'completed', actual: 'completed', message: 'HTTP 200', duration_ms: 12, ...over}
}

function result(over: Partial<RunResult> & {steps: StepResult[]}): RunResult {
  const failed = over.steps.filter((s) => !s.ok).length
  return {scenario: 's', target: 'in-process http://127.0.0.1:1', store_id: 'st_dev', throwaway_store: false, ok: failed === 0, passed: over.steps.length - failed, failed, skipped: 0, duration_ms: 1234, failure: null, ...over}
}

interface Case {name: string; classname: string; time: string; failure?: {message: string; type: string; '#text': string}; skipped?: {message: string}; 'system-out'?: string}
interface Suite {name: string; tests: string; failures: string; skipped: string; file?: string; testcase: Case[]}
interface Doc {testsuites: {tests: string; failures: string; skipped: string; errors: string; time: string; testsuite: Suite[]}}

const parse = (xml: string) => new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase', processEntities: true, htmlEntities: false}).parse(xml) as Doc

describe('JUnit XML', () => {
  const nasty = 'a < b && "c" > \'d\' ]]> \u0007bell تم استلام مبلغ 150 جنيه ${steps.t1.transaction_id} \uD83D\uDCB8 lone\uD800'

  it('is well-formed, with totals that add up over several scenarios', () => {
    const xml = toJunit([
      {result: result({scenario: 'happy', steps: [step(1), step(2)]}), file: 'ci/happy.yaml'},
      {result: result({scenario: 'sad', skipped: 2, steps: [step(1), step(2, {ok: false, expected: 'completed', actual: 'not_found', message: 'HTTP 200 {"status":false}'})]})},
    ])
    expect(XMLValidator.validate(xml)).toBe(true)
    const doc = parse(xml)
    expect(doc.testsuites).toMatchObject({tests: '6', failures: '1', skipped: '2', errors: '0', time: '2.468'})
    const [happy, sad] = doc.testsuites.testsuite
    expect(happy).toMatchObject({name: 'happy', tests: '2', failures: '0', skipped: '0', file: 'ci/happy.yaml'})
    expect(happy!.testcase.map((c) => c.name)).toEqual(['01 check 1', '02 check 2'])
    expect(happy!.testcase[0]).toMatchObject({classname: 'happy', time: '0.012'})
    expect(sad).toMatchObject({tests: '4', failures: '1', skipped: '2'})
    expect(sad!.testcase[1]!.failure).toMatchObject({message: 'expected completed, got not_found', type: 'check'})
    expect(sad!.testcase[1]!.failure!['#text']).toContain('step 2 (check 2): expected completed\ngot: not_found')
    expect(sad!.testcase.slice(2).map((c) => [c.name, c.skipped?.message])).toEqual([['03 (not run)', 'an earlier step failed'], ['04 (not run)', 'an earlier step failed']])
  })

  it('carries any text — markup, CDATA ends, Arabic, emoji, control characters — and reads back', () => {
    const xml = toJunit([{result: result({scenario: nasty, target: nasty, steps: [step(1, {name: nasty, ok: false, expected: nasty, actual: nasty, message: nasty})]})}])
    expect(XMLValidator.validate(xml)).toBe(true)
    const clean = nasty.replace('\u0007', '').replace(/\uD800$/, '')
    const c = parse(xml).testsuites.testsuite[0]!
    expect(c.name).toBe(clean)
    expect(c.testcase[0]!.name).toBe(`01 ${clean}`)
    expect(c.testcase[0]!.failure!.message).toBe(`expected ${clean}, got ${clean}`)
  })

  it('xmlEscape drops what XML 1.0 cannot carry and keeps tab, newline and surrogate pairs', () => {
    expect(xmlEscape('\u0000a\tb\nc\rd\uFFFE\uD83D\uDCB8\uDC00')).toBe('a\tb\nc\rd\uD83D\uDCB8')
    expect(xmlEscape(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;')
  })
})
