import type { RedisTarget } from '@experiments/config'
import { blockingRedis, Cluster, type RedisClient } from '@experiments/redis'
import { inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    /** The tests' Redis: a URL, or (the `cluster` project) the seed nodes of a Redis Cluster. */
    redisTarget: string | RedisTarget
  }
}

/** The database and Redis that global-setup.ts made for this test run. */
export const testDatabaseUrl = () => inject('databaseUrl')
/** The tests' Redis, one server or a cluster: what the services are given. */
export const testRedis = () => inject('redisTarget')
/** True when the run's Redis is a cluster (the `cluster` project). */
export const onCluster = () => typeof testRedis() !== 'string'
/** The tests' Redis when it is one server; tests that stop, pause or flush their own Redis need one. */
export const testRedisUrl = () => {
  const target = testRedis()
  if (typeof target !== 'string') throw new Error('this test needs a single Redis server, and the `cluster` project gives a cluster')
  return target
}

/** The environment that points a service at `target`: REDIS_URL, or REDIS_CLUSTER_NODES for a cluster. */
export const redisEnvOf = (target: string | RedisTarget = testRedis()): Record<string, string> => {
  if (typeof target === 'string') return { REDIS_URL: target }
  if ('url' in target) return { REDIS_URL: target.url }
  return { REDIS_CLUSTER_NODES: target.clusterNodes.map(({ host, port }) => `${host}:${port}`).join(',') }
}

/** Where `client` is connected: its URL, or its cluster's nodes. */
export const targetOf = (client: RedisClient): string | RedisTarget =>
  client instanceof Cluster
    ? { clusterNodes: client.nodes().map((node) => ({ host: node.options.host ?? '127.0.0.1', port: node.options.port ?? 6379 })) }
    : `redis://${client.options.host}:${client.options.port}`

/** Connections for BullMQ's blocking reads, tracked so a test file can close them all at the end. */
export const blockingConnections = (target: string | RedisTarget = testRedis()) => {
  const open: RedisClient[] = []
  return {
    create: () => {
      const connection = blockingRedis(target, 'test')
      connection.on('error', () => {}) // tests that stop Redis expect these to fail
      open.push(connection)
      return connection
    },
    closeAll: () => {
      for (const connection of open.splice(0)) connection.disconnect()
    },
  }
}
