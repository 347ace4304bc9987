import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {addCredit, findCredit, parseWhmcsClient, resolveClientByEmail, whmcsDescription, whmcsEndpoint, type WhmcsConfig} from '../../src/notify/whmcs-api.js'
import {FakeWhmcs, type FakeWhmcsOptions} from '../support/fake-whmcs.js'

const CLIENTS = [
  {id: 42, firstname: 'Mona', lastname: 'Ali', email: 'mona@example.com'},
  {id: 7, firstname: 'Jane', lastname: 'Doe', email: 'Jane@Example.com'},
  {id: 8, firstname: 'Janet', lastname: 'Doe', email: 'janet.doe@example.com'},
  {id: 9, firstname: 'Dup', lastname: 'One', email: 'shared@example.com'},
  {id: 10, firstname: 'Dup', lastname: 'Two', email: 'SHARED@example.com'},
]

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

async function fake(opts: FakeWhmcsOptions = {}): Promise<FakeWhmcs> {
  const f = await FakeWhmcs.start({clients: CLIENTS, ...opts})
  closers.push(() => f.close())
  return f
}

/** Any other web server in WHMCS's place, answering what `reply` says. */
async function oddServer(reply: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => reply(req, res, body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => new Promise((r) => {
    server.closeAllConnections()
    server.close(() => r())
  }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const tx = (n: number) => whmcsDescription(`tx_${n}`)

describe('addCredit', () => {
  it('credits the client once and answers credited with WHMCS\'s answer', async () => {
    const w = await fake()
    const r = await addCredit(w.config, {clientId: '42', amount: '2.06', description: tx(1)})
    expect(r).toEqual({kind: 'credited', raw: {result: 'success', newbalance: '2.06'}})
    expect(w.credits(42)).toMatchObject([{description: 'VodafoneCash payment - trans_id: tx_1', amount: '2.06'}])
    expect(w.addCreditCalls).toHaveLength(1)
    expect(w.addCreditCalls[0]!.form).toEqual({action: 'AddCredit', identifier: w.config.identifier, secret: '[secret]', clientid: '42', description: tx(1), amount: '2.06', responsetype: 'json'})
  })

  it('sends to {url}/includes/api.php whatever the URL\'s trailing part', async () => {
    const w = await fake()
    expect(whmcsEndpoint('https://b.example.com/')).toBe('https://b.example.com/includes/api.php')
    expect(whmcsEndpoint('https://b.example.com/whmcs/includes/api.php')).toBe('https://b.example.com/whmcs/includes/api.php')
    const r = await addCredit({...w.config, url: `${w.url}//`}, {clientId: '7', amount: '1.00', description: tx(2)})
    expect(r.kind).toBe('credited')
    expect(w.credits(7)).toHaveLength(1)
  })

  it.each([200, 403])('refuses with a config error for a wrong secret, a wrong identifier, an unknown client, a refused IP (WHMCS errors as HTTP %i)', async (errorStatus) => {
    const w = await fake({errorStatus})
    const credit = {clientId: '42', amount: '5.00', description: tx(3)}
    const badSecret = await addCredit({...w.config, secret: 'not-the-secret'}, credit)
    expect(badSecret).toMatchObject({kind: 'refused', configError: true})
    expect(badSecret.kind === 'refused' && badSecret.message).toMatch(/identifier or secret is wrong/)
    expect(await addCredit({...w.config, identifier: 'nobody'}, credit)).toMatchObject({kind: 'refused', configError: true})
    const noClient = await addCredit(w.config, {...credit, clientId: '999'})
    expect(noClient).toMatchObject({kind: 'refused', configError: true, message: expect.stringMatching(/no client with that id/)})
    expect(w.credits(42)).toEqual([])

    const fenced = await fake({errorStatus, allowedIps: ['203.0.113.9']})
    const ip = await addCredit(fenced.config, credit)
    expect(ip).toMatchObject({kind: 'refused', configError: true, message: expect.stringMatching(/add 127\.0\.0\.1 to both "Whitelisted IPs" and "API IP Access Restriction"/)})
  })

  it('is unknown (and maybe applied) when WHMCS takes longer than the timeout, though it credited', async () => {
    const w = await fake()
    await w.setMode('slow', {delayMs: 600})
    const t0 = Date.now()
    const r = await addCredit(w.config, {clientId: '42', amount: '3.00', description: tx(4)}, {timeoutMs: 150})
    expect(Date.now() - t0).toBeLessThan(550)
    expect(r).toMatchObject({kind: 'unknown', maybeApplied: true, message: expect.stringMatching(/did not answer AddCredit within 150 ms/)})
    expect(w.credits(42)).toHaveLength(1)
    // Asked afterwards, WHMCS knows.
    await w.setMode('normal')
    expect(await findCredit(w.config, {clientId: '42', description: tx(4)})).toEqual({kind: 'found', creditId: w.credits(42)[0]!.id, count: 1})
  })

  it('is credited when a slow WHMCS answers inside the timeout', async () => {
    const w = await fake()
    await w.setMode('slow', {delayMs: 200})
    expect(await addCredit(w.config, {clientId: '42', amount: '3.00', description: tx(5)}, {timeoutMs: 2000})).toMatchObject({kind: 'credited'})
  })

  it('is unknown when WHMCS credits and then drops the connection; findCredit then finds it', async () => {
    const w = await fake()
    await w.setMode('drop-after-apply', {actions: ['AddCredit']})
    const r = await addCredit(w.config, {clientId: '7', amount: '10.00', description: tx(6)})
    expect(r).toMatchObject({kind: 'unknown', maybeApplied: true})
    expect(w.credits(7)).toHaveLength(1)
    // GetCredits is not affected by the AddCredit-only mode.
    expect(await findCredit(w.config, {clientId: '7', description: tx(6)})).toMatchObject({kind: 'found', count: 1})
    expect(await findCredit(w.config, {clientId: '7', description: tx(60)})).toEqual({kind: 'absent'})
  })

  it('is unknown when WHMCS is down: 503 applies nothing, a refused connection was never sent', async () => {
    const w = await fake()
    await w.setMode('down', {how: '503'})
    expect(await addCredit(w.config, {clientId: '42', amount: '1.50', description: tx(7)})).toMatchObject({kind: 'unknown', maybeApplied: true, message: expect.stringMatching(/HTTP 503/)})
    await w.setMode('down', {how: 'refuse'})
    expect(await addCredit(w.config, {clientId: '42', amount: '1.50', description: tx(7)})).toMatchObject({kind: 'unknown', maybeApplied: false, message: expect.stringMatching(/Could not reach WHMCS/)})
    expect(w.credits(42)).toEqual([])
    expect(await findCredit(w.config, {clientId: '42', description: tx(7)})).toMatchObject({kind: 'unknown'})
    // Back up on the same port.
    await w.setMode('normal')
    expect(await findCredit(w.config, {clientId: '42', description: tx(7)})).toEqual({kind: 'absent'})
    expect(await addCredit(w.config, {clientId: '42', amount: '1.50', description: tx(7)})).toMatchObject({kind: 'credited'})
  })

  it('is unknown for a 2xx answer that is not JSON (a PHP warning before the JSON) or has no result', async () => {
    let n = 0
    const url = await oddServer((_req, res) => {
      n++
      if (n === 1) res.writeHead(200, {'content-type': 'text/html'}).end('<b>Warning</b>: something in addons {"result":"success"}')
      else res.writeHead(200, {'content-type': 'application/json'}).end('{"newbalance":"1.00"}')
    })
    const cfg: WhmcsConfig = {url, identifier: 'i', secret: 'topsecret-value'}
    expect(await addCredit(cfg, {clientId: '1', amount: '1.00', description: tx(8)})).toMatchObject({kind: 'unknown', maybeApplied: true, message: expect.stringMatching(/no JSON/)})
    expect(await addCredit(cfg, {clientId: '1', amount: '1.00', description: tx(8)})).toMatchObject({kind: 'unknown', maybeApplied: true, message: expect.stringMatching(/no result/)})
  })

  it('refuses (config) a URL that is not WHMCS (404) or that redirects, without following', async () => {
    const seen: string[] = []
    const url = await oddServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      if (req.url?.startsWith('/old/')) res.writeHead(301, {location: 'https://billing.example.com/includes/api.php'}).end()
      else res.writeHead(404, {'content-type': 'text/html'}).end('<h1>Not Found</h1>')
    })
    const notFound = await addCredit({url, identifier: 'i', secret: 'topsecret-value'}, {clientId: '1', amount: '1.00', description: tx(9)})
    expect(notFound).toMatchObject({kind: 'refused', configError: true, status: 404, message: expect.stringMatching(/no WHMCS API at/)})
    const moved = await addCredit({url: `${url}/old`, identifier: 'i', secret: 'topsecret-value'}, {clientId: '1', amount: '1.00', description: tx(9)})
    expect(moved).toMatchObject({kind: 'refused', configError: true, status: 301, message: expect.stringMatching(/redirects .*https:\/\/billing\.example\.com\/includes\/api\.php/)})
    expect(seen).toEqual(['POST /includes/api.php', 'POST /old/includes/api.php'])
    expect(await addCredit({url: 'ftp://x', identifier: 'i', secret: 's'}, {clientId: '1', amount: '1.00', description: tx(9)})).toMatchObject({kind: 'refused', configError: true})
  })

  it('never puts the secret in a message, even when the server echoes it', async () => {
    const secret = 'p@ss w/rd+=&secret'
    let n = 0
    const url = await oddServer((_req, res, body) => {
      n++
      if (n === 1) res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({result: 'error', message: `bad request: ${body}`}))
      else if (n === 2) res.writeHead(500, {'content-type': 'text/plain'}).end(`fatal: ${body} ${secret}`)
      else res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({result: 'success', echo: secret}))
    })
    const cfg = {url: url.replace('http://', 'http://user:urlpass@'), identifier: 'i', secret}
    const results = [
      await addCredit(cfg, {clientId: '1', amount: '1.00', description: tx(10)}),
      await addCredit(cfg, {clientId: '1', amount: '1.00', description: tx(10)}),
      await addCredit(cfg, {clientId: '1', amount: '1.00', description: tx(10)}),
    ]
    expect(results.map((r) => r.kind)).toEqual(['refused', 'unknown', 'credited'])
    const text = JSON.stringify(results)
    expect(text).toContain('[secret]')
    expect(text).not.toContain(secret)
    expect(text).not.toContain(encodeURIComponent(secret))
    expect(text).not.toContain(new URLSearchParams({s: secret}).toString().slice(2))
    expect(text).not.toContain('urlpass')
  })

  it('stops at the caller\'s signal', async () => {
    const w = await fake()
    await w.setMode('slow', {delayMs: 1000})
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    expect(await addCredit(w.config, {clientId: '42', amount: '1.00', description: tx(11)}, {signal: ac.signal, timeoutMs: 5000})).toMatchObject({kind: 'unknown', maybeApplied: true, message: expect.stringMatching(/abandoned/)})
  })

  it('rejects a malformed client id or amount before sending anything', async () => {
    const w = await fake()
    for (const [clientId, amount] of [['42', '1'], ['42', '1.5'], ['42', '-1.00'], ['42', '0.00'], ['42', '1e3'], ['x', '1.00'], ['042', '1.00'], ['Mona (42)', '1.00']] as const) {
      await expect(addCredit(w.config, {clientId, amount, description: tx(12)})).rejects.toThrow(TypeError)
    }
    expect(w.calls).toEqual([])
  })
})

describe('findCredit', () => {
  it('matches the exact description only, and reads empty lists in both WHMCS shapes', async () => {
    for (const emptyList of ['object', 'string'] as const) {
      const w = await fake({emptyList})
      expect(await findCredit(w.config, {clientId: '42', description: tx(20)})).toEqual({kind: 'absent'})
      w.seedCredit(42, {description: `${tx(20)}0`, amount: '1.00'})
      w.seedCredit(42, {description: 'Manual credit', amount: '1.00'})
      expect(await findCredit(w.config, {clientId: '42', description: tx(20)})).toEqual({kind: 'absent'})
      const c = w.seedCredit(42, {description: tx(20), amount: '2.00'})
      expect(await findCredit(w.config, {clientId: '42', description: tx(20)})).toEqual({kind: 'found', creditId: c.id, count: 1})
      // Another client's credits are not this one's.
      expect(await findCredit(w.config, {clientId: '7', description: tx(20)})).toEqual({kind: 'absent'})
      expect(w.calls.every((call) => call.action === 'GetCredits' && call.form.clientid !== undefined)).toBe(true)
    }
  })

  it('a client WHMCS does not know has no credit; bad credentials or an outage are unknown', async () => {
    const w = await fake()
    expect(await findCredit(w.config, {clientId: '999', description: tx(21)})).toEqual({kind: 'absent'})
    expect(await findCredit({...w.config, secret: 'wrong-secret'}, {clientId: '42', description: tx(21)})).toMatchObject({kind: 'unknown', configError: true, message: expect.stringMatching(/Authentication Failed.*GetCredits/)})
    await w.setMode('drop-after-apply')
    expect(await findCredit(w.config, {clientId: '42', description: tx(21)})).toMatchObject({kind: 'unknown', configError: false})
  })

  it('reads a single credit given as an object, and unknown for a list it cannot read', async () => {
    let body: unknown = {}
    const url = await oddServer((_req, res) => res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(body)))
    const cfg = {url, identifier: 'i', secret: 'topsecret-value'}
    body = {result: 'success', totalresults: 1, credits: {credit: {id: 5, description: tx(22), amount: '1.00'}}}
    expect(await findCredit(cfg, {clientId: '1', description: tx(22)})).toEqual({kind: 'found', creditId: 5, count: 1})
    body = {result: 'success', totalresults: 1, credits: 'weird'}
    expect(await findCredit(cfg, {clientId: '1', description: tx(22)})).toMatchObject({kind: 'unknown'})
  })
})

describe('resolveClientByEmail', () => {
  it('finds the one client with that e-mail, case-insensitively, ignoring partial matches', async () => {
    const w = await fake()
    expect(await resolveClientByEmail(w.config, 'jane@example.com')).toEqual({kind: 'found', clientId: '7'})
    expect(await resolveClientByEmail(w.config, 'MONA@EXAMPLE.COM')).toEqual({kind: 'found', clientId: '42'})
    // "doe@example.com" is inside janet.doe@example.com, but is nobody's e-mail.
    expect(await resolveClientByEmail(w.config, 'doe@example.com')).toEqual({kind: 'absent'})
    expect(await resolveClientByEmail(w.config, 'nobody@example.com')).toEqual({kind: 'absent'})
    expect(await resolveClientByEmail(w.config, 'shared@example.com')).toEqual({kind: 'ambiguous', clientIds: ['9', '10']})
    expect(w.calls.map((c) => [c.action, c.form.search])).toContainEqual(['GetClients', 'jane@example.com'])
  })

  it('is unknown when WHMCS refuses or is down, absent for a non-e-mail without asking', async () => {
    const w = await fake({emptyList: 'string'})
    expect(await resolveClientByEmail(w.config, 'nobody@example.com')).toEqual({kind: 'absent'})
    expect(await resolveClientByEmail({...w.config, identifier: 'x'}, 'jane@example.com')).toMatchObject({kind: 'unknown', configError: true})
    await w.setMode('down', {how: '503'})
    expect(await resolveClientByEmail(w.config, 'jane@example.com')).toMatchObject({kind: 'unknown', configError: false})
    const before = w.calls.length
    expect(await resolveClientByEmail(w.config, 'not an email')).toEqual({kind: 'absent'})
    expect(w.calls).toHaveLength(before)
  })

  it('does not say absent when WHMCS held results back', async () => {
    const url = await oddServer((_req, res) => res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({result: 'success', totalresults: 300, numreturned: 1, clients: {client: [{id: 1, email: 'other@example.com'}]}})))
    expect(await resolveClientByEmail({url, identifier: 'i', secret: 'topsecret-value'}, 'jane@example.com')).toMatchObject({kind: 'unknown'})
  })
})

describe('parseWhmcsClient', () => {
  it.each([
    // current release: client_id plus a display name
    ['Mona Ali (42)', '42', {kind: 'id', clientId: '42', source: 'client_id'}],
    [' Mona Ali (42) ', ' 42 ', {kind: 'id', clientId: '42', source: 'client_id'}],
    // client_id wins, as the contract says
    ['Mona Ali (43)', '42', {kind: 'id', clientId: '42', source: 'client_id'}],
    // older: the bare client id as user_name
    ['42', null, {kind: 'id', clientId: '42', source: 'user_name'}],
    ['42', '', {kind: 'id', clientId: '42', source: 'user_name'}],
    // a display name without client_id
    ['Firstname Lastname (42)', undefined, {kind: 'id', clientId: '42', source: 'display_name'}],
    ['Mona (Cairo) Ali (42)', null, {kind: 'id', clientId: '42', source: 'display_name'}],
    [' (42)', null, {kind: 'id', clientId: '42', source: 'display_name'}],
    // v1.4–v1.5: the e-mail, to resolve through GetClients
    ['Jane Doe (jane@example.com)', null, {kind: 'email', email: 'jane@example.com'}],
    ['Jane Doe ( jane.doe+vc@mail.example.co.uk )', null, {kind: 'email', email: 'jane.doe+vc@mail.example.co.uk'}],
  ] as const)('%j, client_id %j → %j', (userName, clientId, want) => {
    expect(parseWhmcsClient(userName, clientId)).toEqual(want)
  })

  it.each([
    ['Mona Ali (42)', 'abc'],
    ['42', '-42'],
    ['42', '042'],
    ['42', '4 2'],
    ['42', '٤٢'],
    ['', null],
    [null, null],
    [undefined, undefined],
    ['Mona Ali', null],
    ['Mona Ali (42) extra', null],
    ['Mona Ali (x42)', null],
    ['Mona Ali (0)', null],
    ['Mona Ali (99999999999)', null],
    ['42.0', null],
    ['+42', null],
    ['٤٢', null],
    ['Jane (jane@)', null],
    ['Jane (@example.com)', null],
    ['Jane (jane@example)', null],
    ['Jane (jane..doe@example.com)', null],
    ['Jane (jane doe@example.com)', null],
    ['Jane (jane@example.com', null],
    ['jane@example.com', null],
    ["Robert'); DROP TABLE tblclients;-- (1; 2)", null],
  ] as const)('%j, client_id %j names nobody', (userName, clientId) => {
    expect(parseWhmcsClient(userName, clientId)).toMatchObject({kind: 'none', reason: expect.any(String)})
  })

  it('writes the description the module and findCredit agree on', () => {
    expect(whmcsDescription('tx_abc123')).toBe('VodafoneCash payment - trans_id: tx_abc123')
  })
})
