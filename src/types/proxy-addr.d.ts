/** proxy-addr ships no types; this is the part of its API vcash uses (the one express uses for req.ip). */
declare module 'proxy-addr' {
  import type {IncomingMessage} from 'node:http'

  type Trust = ((addr: string, i: number) => boolean) | string | string[]
  function proxyAddr(req: IncomingMessage, trust: Trust): string
  namespace proxyAddr {
    function all(req: IncomingMessage, trust?: Trust): string[]
    function compile(val: string | string[]): (addr: string, i: number) => boolean
  }
  export = proxyAddr
}
