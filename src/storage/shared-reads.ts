/**
 * The reads both engines run as the same Kysely functions (devices, balance points, the
 * dashboard's totals and sign-in lookup): written once here, each failure mapped by the
 * engine's own read-error mapping. The hot paths (byClaim, the commits) stay in each engine.
 */
import type {Kysely} from 'kysely'

import type {BalancePoint, DeviceRecord, SessionRecord} from '../core/model.js'
import * as sessions from './dashboard-queries.js'
import * as devices from './device-queries.js'
import type {Database} from './schema.js'
import type {TransactionTotal} from './storage.js'

export abstract class SharedReads {
  /** The engine's Kysely instance, read at each call (SQLite makes it on open). */
  protected abstract readonly k: Kysely<Database>

  constructor(private readonly readError: (error: unknown) => unknown) {}

  listDevices(storeId?: string): Promise<DeviceRecord[]> {
    return this.mapped(devices.listDevices(this.k, storeId))
  }

  getDevice(id: string): Promise<DeviceRecord | undefined> {
    return this.mapped(devices.getDevice(this.k, id))
  }

  devicesToSweep(silentBefore: Date, limit: number): Promise<DeviceRecord[]> {
    return this.mapped(devices.devicesToSweep(this.k, silentBefore, limit))
  }

  lastBalancePoint(storeId: string, chain: string, at: Date): Promise<BalancePoint | undefined> {
    return this.mapped(devices.lastBalancePoint(this.k, storeId, chain, at))
  }

  transactionTotals(since: Date, until: Date): Promise<TransactionTotal[]> {
    return this.mapped(sessions.transactionTotals(this.k, since, until))
  }

  findSessionByTokenHash(hash: string): Promise<SessionRecord | undefined> {
    return this.mapped(sessions.findSessionByTokenHash(this.k, hash))
  }

  private mapped<T>(p: Promise<T>): Promise<T> {
    return p.catch((error: unknown) => Promise.reject(this.readError(error)))
  }
}
