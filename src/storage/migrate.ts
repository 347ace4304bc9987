/** Kysely's migrator over MIGRATIONS, the same for every engine. */
import {type Kysely, type MigrationProvider, Migrator} from 'kysely'

import {MIGRATIONS} from './schema.js'

export interface SchemaState {
  applied: {name: string; at: string}[]
  pending: string[]
}

const provider: MigrationProvider = {getMigrations: async () => MIGRATIONS}

/** Apply what is pending; answers the names applied now. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const {error, results} = await new Migrator({db, provider}).migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function schemaState(db: Kysely<any>): Promise<SchemaState> {
  const infos = await new Migrator({db, provider}).getMigrations()
  return {
    applied: infos.filter((m) => m.executedAt).map((m) => ({name: m.name, at: m.executedAt!.toISOString()})),
    pending: infos.filter((m) => !m.executedAt).map((m) => m.name),
  }
}
