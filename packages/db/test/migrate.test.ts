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

describe('createDb', () => {
  it('survives PostgreSQL terminating its idle connections, and serves the next query', async () => {
    const database = await throwawayDatabase(testDatabaseUrl(), 'idle_kill')
    const db = createDb(database.url, { max: 2 })
    const admin = createDb(testDatabaseUrl(), { max: 1 })
    try {
      await Promise.all([sql`select 1`.execute(db), sql`select 1`.execute(db)])
      const killed = await sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = ${database.name}`.execute(
        admin,
      )
      expect(killed.rows[0]!.n).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 200))
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db)
      expect(rows).toEqual([{ one: 1 }])
    } finally {
      await db.destroy()
      await admin.destroy()
      await database.drop()
    }
  })
})
