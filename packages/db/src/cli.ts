#!/usr/bin/env node
// `npm run migrate`: applies pending migrations to DATABASE_URL.
import { createDb } from './connect.js'
import { migrateToLatest } from './migrate.js'
import { postgresFailure } from './startup.js'

const url = process.env.DATABASE_URL
if (!url) {
  console.error('DATABASE_URL is not set: point it at the PostgreSQL database to migrate (postgres://user@host:5432/db).')
  process.exit(1)
}
const db = createDb(url, { max: 1 })
try {
  const results = await migrateToLatest(db)
  console.log(results.length ? results.map((r) => `applied ${r.migrationName}`).join('\n') : 'database is up to date')
} catch (error) {
  console.error(`cannot migrate: ${postgresFailure(url, error)}`)
  process.exitCode = 1
} finally {
  await db.destroy()
}
