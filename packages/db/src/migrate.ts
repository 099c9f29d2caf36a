import { Migrator, type Kysely, type MigrationResult } from 'kysely'
import { migrations } from './migrations/index.js'

/**
 * Applies every pending migration. Kysely holds a PostgreSQL advisory lock for the run, so
 * replicas that start at the same moment apply each migration exactly once.
 */
export const migrateToLatest = async (db: Kysely<any>): Promise<MigrationResult[]> => {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error) {
    const failed = results.find((r) => r.status === 'Error')
    // No migration failed: PostgreSQL could not be reached, or the lock or the migrations table could not be had.
    if (!failed) throw error
    throw new Error(`migration ${failed.migrationName} failed: ${String((error as Error).message ?? error)}`, { cause: error })
  }
  return results
}
