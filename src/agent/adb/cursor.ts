/**
 * The last inbox message seen per device, kept in the data dir so `vcash sms tail` resumes
 * where it stopped (after an unplug, a crash or a reboot) without re-sending old messages.
 *
 * The SMS provider's `_id` is an SQLite rowid without AUTOINCREMENT: if the newest message is
 * deleted, the next one reuses its id. So the cursor keeps the id *and* that row's receive
 * time; the next poll asks for `_id >= lastId` and treats the row with `lastId` as new when
 * its date differs.
 */
import fs from 'node:fs'
import path from 'node:path'

import {writeFileAtomic} from '../../io/durable.js'

export interface DeviceCursor {
  lastId: number
  lastDate: number
  updatedAt: string
}

interface CursorFile {
  version: 1
  devices: Record<string, DeviceCursor>
}

export class CursorStore {
  readonly file: string
  private data: CursorFile

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'sms', 'adb-cursors.json')
    this.data = CursorStore.load(this.file)
  }

  private static load(file: string): CursorFile {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CursorFile>
      if (parsed && parsed.version === 1 && typeof parsed.devices === 'object' && parsed.devices !== null) {
        const devices: Record<string, DeviceCursor> = {}
        for (const [serial, c] of Object.entries(parsed.devices)) {
          if (c && Number.isSafeInteger(c.lastId) && c.lastId >= 0 && Number.isSafeInteger(c.lastDate)) devices[serial] = c
        }
        return {version: 1, devices}
      }
    } catch {
      // Missing or corrupt: start fresh. A lost cursor only costs a re-read, and both the
      // spool and the server dedupe what comes again.
    }
    return {version: 1, devices: {}}
  }

  get(serial: string): DeviceCursor | undefined {
    return this.data.devices[serial]
  }

  set(serial: string, lastId: number, lastDate: number): void {
    const current = this.data.devices[serial]
    if (current && current.lastId === lastId && current.lastDate === lastDate) return
    this.data.devices[serial] = {lastId, lastDate, updatedAt: new Date().toISOString()}
    writeFileAtomic(this.file, `${JSON.stringify(this.data, null, 2)}\n`)
  }
}
