/**
 * Polls `fn` every `every` ms until it answers something truthy, and answers that; after `ms`
 * throws "timed out after … ms waiting for `what`". The last answer was falsy, so it tells
 * nothing: give `what` as a function, read at the timeout, to show the state seen by then
 * (a count so far, a child's stderr). An error thrown by `fn` is not retried: it ends the wait.
 */
export async function until<T>(what: string | (() => string), fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 5000, every = 10): Promise<T> {
  // performance.now, not Date.now: a test may move a faked Date by hours while it waits.
  const end = performance.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}
