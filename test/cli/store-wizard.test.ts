import {confirm, input, password, select} from '@inquirer/prompts'
import {render} from '@inquirer/testing'
import {describe, expect, it} from 'vitest'

import {askStore, type WizardPrompts} from '../../src/cli/store-wizard.js'

type Ui = Awaited<ReturnType<typeof render>>
/** What to do at a question (found by the start of its message). */
type Script = Record<string, (ui: Ui) => Promise<void>>

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20))
}

async function answer(ui: Ui, text: string): Promise<void> {
  ui.events.type(text)
  ui.events.keypress('enter')
  await settle()
}

async function clear(ui: Ui, n: number): Promise<void> {
  for (let i = 0; i < n; i++) ui.events.keypress('backspace')
  await settle()
}

/** Real @inquirer/prompts, each rendered by @inquirer/testing and answered by the script. */
function driven(script: Script, asked: string[]): WizardPrompts {
  const wrap = <P>(prompt: P) => (async (config: {message: string}) => {
    const ui = await render(prompt as Parameters<typeof render>[0], config as never)
    asked.push(config.message)
    const key = Object.keys(script).find((k) => config.message.startsWith(k))
    if (!key) throw new Error(`unexpected question: ${config.message}`)
    await script[key]!(ui)
    return ui.answer
  }) as unknown as P
  return {input: wrap(input), select: wrap(select), password: wrap(password), confirm: wrap(confirm)}
}

describe('store init wizard: each answer is checked when it is given', () => {
  it('a bad callback URL is refused at that question with the schema\'s message, then the good one is taken', async () => {
    const asked: string[] = []
    const a = await askStore({}, driven({
      'Store name': async (ui) => {
        await answer(ui, '   ')
        expect(ui.getScreen()).toMatch(/must not be empty|required/i)
        await answer(ui, 'Cairo Shop')
      },
      'How should vcash': async (ui) => {
        ui.events.keypress('down')
        ui.events.keypress('enter')
        await settle()
      },
      'Callback URL': async (ui) => {
        await answer(ui, 'ftp://shop.example.com/hook')
        expect(ui.getScreen()).toContain('must be an http(s) URL without credentials')
        // Still on this question: nothing after it has been asked.
        expect(asked.at(-1)).toBe('Callback URL')
        await clear(ui, 'ftp://shop.example.com/hook'.length)
        await answer(ui, 'https://shop.example.com/hook')
      },
      'Turn on anti-spam': async (ui) => answer(ui, 'y'),
      'Hold transfers above': async (ui) => {
        await answer(ui, 'lots')
        expect(ui.getScreen()).toContain('must be an amount like 500 or 1,000.50')
        await clear(ui, 4)
        await answer(ui, '2,000')
      },
    }, asked), process.stderr)
    expect(a).toMatchObject({name: 'Cairo Shop', callback: 'webhook', callbackUrl: 'https://shop.example.com/hook', antiSpam: true, holdOver: '2,000'})
    expect(asked).toEqual(['Store name', 'How should vcash tell your site a payment was confirmed?', 'Callback URL', 'Turn on anti-spam (hold suspicious matches for your approval)?', 'Hold transfers above this amount (EGP, empty for no limit)'])
  })

  it('WHMCS: URL, rate and currency label are each checked at their question', async () => {
    const asked: string[] = []
    const a = await askStore({name: 'S', callback: 'whmcs'}, driven({
      'WHMCS base URL': async (ui) => {
        await answer(ui, 'billing')
        expect(ui.getScreen()).toContain('must be an http(s) URL')
        await clear(ui, 7)
        await answer(ui, 'https://billing.example.com')
      },
      'WHMCS API identifier': async (ui) => answer(ui, 'ident'),
      'WHMCS API secret': async (ui) => answer(ui, 'sekret'),
      'Rate:': async (ui) => {
        await clear(ui, 1)
        await answer(ui, 'fifty')
        expect(ui.getScreen()).toContain('"fifty" is not a rate')
        expect(asked.at(-1)).toMatch(/^Rate:/)
        await clear(ui, 5)
        await answer(ui, '50.50')
      },
      'Currency label': async (ui) => {
        await clear(ui, 3)
        await answer(ui, 'A-VERY-LONG-LABEL')
        expect(ui.getScreen()).toMatch(/<=12 characters/)
        await clear(ui, 'A-VERY-LONG-LABEL'.length)
        await answer(ui, 'USD')
      },
      'Turn on anti-spam': async (ui) => answer(ui, 'n'),
    }, asked), process.stderr)
    expect(a).toMatchObject({whmcsUrl: 'https://billing.example.com', whmcsIdentifier: 'ident', whmcsSecret: 'sekret', rate: '50.50', currencyLabel: 'USD', antiSpam: false})
  })
})
