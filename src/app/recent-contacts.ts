/**
 * SMS come in bursts, each a contact of its device: its last contact is written at most once a
 * second per process (silence is counted in minutes). Otherwise every SMS rewrites the same
 * device row, and on PostgreSQL every commit waits for the one before it to release that row.
 */
export class RecentContacts {
  private readonly written = new Map<string, number>()

  /** Whether an SMS at `atMs` should carry this device's contact. */
  due(storeId: string, name: string, atMs: number): boolean {
    const last = this.written.get(`${storeId} ${name}`)
    return last === undefined || atMs - last >= CONTACT_EVERY_MS || atMs < last
  }

  /** The contact is committed. */
  wrote(storeId: string, name: string, atMs: number): void {
    // Bounded: forgetting means one more write, never one less.
    if (this.written.size >= 10_000) this.written.clear()
    this.written.set(`${storeId} ${name}`, atMs)
  }
}

const CONTACT_EVERY_MS = 1000
