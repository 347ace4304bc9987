import {describe, expect, it} from 'vitest'

import {when} from '../../src/server/web/dashboard/layout.js'

type View = Parameters<typeof when>[0]

describe('dashboard times', () => {
  it('seven minutes past midnight in Cairo is 00:07 in both languages, never 24:07', () => {
    const at = '2026-12-01T22:07:00Z' // 00:07 on 2 December, Cairo (UTC+2)
    for (const lang of ['en', 'ar'] as const) {
      const shown = when({lang} as View, at)
      expect(shown, lang).toContain('00:07')
      expect(shown, lang).not.toContain('24:07')
    }
  })
})
