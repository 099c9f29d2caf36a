import { createDb, migrateToLatest } from '@experiments/db'
import { throwawayDatabase } from '@experiments/devstack'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { testDatabaseUrl } from '../../../test-support/context.js'

describe('migrateToLatest', () => {
  it('applies every migration exactly once when five processes start at the same moment', async () => {
    const database = await throwawayDatabase(testDatabaseUrl(), 'migrate_race')
    const connections = Array.from({ length: 5 }, () => createDb(database.url, { max: 1 }))
    try {
      const results = await Promise.all(connections.map((db) => migrateToLatest(db)))
      const applied = results.flat().map((r) => r.migrationName)
      expect(new Set(applied).size).toBe(applied.length)
      const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(connections[0]!)
      expect(recorded.rows.map((r) => r.name).sort()).toEqual([...applied].sort())
      expect(await migrateToLatest(connections[0]!)).toEqual([])
    } finally {
      await Promise.all(connections.map((db) => db.destroy()))
      await database.drop()
    }
  })
})
