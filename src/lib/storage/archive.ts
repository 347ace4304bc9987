import fs from 'node:fs'
import fsp from 'node:fs/promises'

import {EXIT, VcashError} from '../errors.js'

/**
 * An append-only NDJSON file of records that never change again (terminal transactions, SMS).
 * Only a location per record stays in memory: `offset * 65536 + length`, one number, so a
 * million archived records cost megabytes, not gigabytes. Appends are fsync'd before the
 * records leave the snapshot.
 */
const LEN_BITS = 65_536

export function packLocation(offset: number, length: number): number {
  if (length >= LEN_BITS) throw new RangeError(`archived record of ${length} bytes is too large`)
  return offset * LEN_BITS + length
}

export class Archive<T> {
  private size = 0
  private fd: number | null = null

  constructor(readonly file: string) {}

  /** Read every record in file order with its location. A torn last line is cut off. */
  load(onRecord: (rec: T, loc: number) => void): void {
    let fd: number
    try {
      fd = fs.openSync(this.file, 'r+')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    try {
      const chunk = Buffer.alloc(4 * 1024 * 1024)
      let carry = Buffer.alloc(0)
      let pos = 0
      let lineStart = 0
      for (;;) {
        const n = fs.readSync(fd, chunk, 0, chunk.length, pos)
        if (n === 0) break
        pos += n
        const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n)
        let start = 0
        for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
          const line = buf.subarray(start, nl)
          let rec: T
          try {
            rec = JSON.parse(line.toString('utf8')) as T
          } catch {
            throw new VcashError('data_corrupt', `archive ${this.file} is unreadable at byte ${lineStart}`, {exit: EXIT.config, suggestion: 'Restore the data dir from a backup.'})
          }
          onRecord(rec, packLocation(lineStart, nl - start))
          lineStart += nl - start + 1
          start = nl + 1
        }
        carry = Buffer.from(buf.subarray(start))
      }
      // Whatever follows the last newline was never fsync'd as a whole: drop it.
      if (carry.length > 0) fs.ftruncateSync(fd, lineStart)
      this.size = lineStart
    } finally {
      fs.closeSync(fd)
    }
  }

  /** Append records durably; returns their locations in order. */
  async append(records: T[]): Promise<number[]> {
    if (records.length === 0) return []
    const lines = records.map((r) => Buffer.from(`${JSON.stringify(r)}\n`, 'utf8'))
    const fh = await fsp.open(this.file, 'a', 0o600)
    try {
      await fh.write(Buffer.concat(lines))
      await fh.sync()
    } finally {
      await fh.close()
    }
    const locs: number[] = []
    for (const l of lines) {
      locs.push(packLocation(this.size, l.length - 1))
      this.size += l.length
    }
    return locs
  }

  read(loc: number): T {
    const offset = Math.floor(loc / LEN_BITS)
    const length = loc % LEN_BITS
    this.fd ??= fs.openSync(this.file, 'r')
    const buf = Buffer.alloc(length)
    fs.readSync(this.fd, buf, 0, length, offset)
    return JSON.parse(buf.toString('utf8')) as T
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd)
    this.fd = null
  }
}
