import fs from 'node:fs'
import path from 'node:path'

/** fsync a directory so a rename or a new file in it survives a power cut. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // Some filesystems (and Windows) refuse to open or fsync a directory; the data fsync still holds.
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** Write-temp, fsync, rename, fsync dir: readers see the old or the new file, never half of one. */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const dir = path.dirname(file)
  fs.mkdirSync(dir, {recursive: true, mode: 0o700})
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  const fd = fs.openSync(tmp, 'w', mode)
  try {
    fs.writeSync(fd, data)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  fsyncDir(dir)
}
