import fs from 'node:fs'
import fsp from 'node:fs/promises'

/**
 * An append-only write-ahead log with group commit. Lines appended while an fsync is in
 * flight are written and synced together by the next round, so many concurrent writers
 * share one fsync. `append` resolves only after the bytes are on disk.
 */
export class Journal {
  private fh: fsp.FileHandle | null = null
  private queue: {line: string; resolve: () => void; reject: (e: Error) => void}[] = []
  private flushing: Promise<void> | null = null
  private broken: Error | null = null
  bytes = 0
  entries = 0

  constructor(readonly file: string) {}

  private async handle(): Promise<fsp.FileHandle> {
    // Opened lazily, so a journal can be rotated synchronously inside a commit.
    if (!this.fh) this.fh = await fsp.open(this.file, 'a', 0o600)
    return this.fh
  }

  append(line: string): Promise<void> {
    if (this.broken) return Promise.reject(this.broken)
    return new Promise((resolve, reject) => {
      this.queue.push({line, resolve, reject})
      this.entries++
      if (!this.flushing) this.flushing = this.drain()
    })
  }

  /** Resolves when everything appended so far is durable. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
    if (this.broken) throw this.broken
  }

  private async drain(): Promise<void> {
    // Yield once so writers in the same tick join this round.
    await new Promise<void>((r) => setImmediate(r))
    while (this.queue.length > 0) {
      const round = this.queue
      this.queue = []
      try {
        const buf = Buffer.from(round.map((r) => r.line).join(''), 'utf8')
        const fh = await this.handle()
        await fh.write(buf)
        await fh.datasync()
        this.bytes += buf.length
        for (const r of round) r.resolve()
      } catch (error) {
        // A failed fsync leaves the file's state unknown: stop accepting writes (fail-stop).
        this.broken = error as Error
        for (const r of [...round, ...this.queue]) r.reject(this.broken)
        this.queue = []
      }
    }
    this.flushing = null
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {})
    await this.fh?.close()
    this.fh = null
  }

  /**
   * Read complete lines. A torn last line (a crash mid-append) was never acknowledged,
   * so it is dropped; a bad line before the end means real corruption.
   */
  static readLines(file: string): string[] {
    let text: string
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const lines = text.split('\n')
    // Whatever follows the last newline is a torn append that was never acknowledged.
    lines.pop()
    return lines.filter((l) => l.trim() !== '')
  }
}
