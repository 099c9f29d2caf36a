import { Redis } from 'ioredis'
import { inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    redisUrl: string
  }
}

/** The database and Redis that global-setup.ts made for this test run. */
export const testDatabaseUrl = () => inject('databaseUrl')
export const testRedisUrl = () => inject('redisUrl')

/** Connections for BullMQ's blocking reads, tracked so a test file can close them all at the end. */
export const blockingConnections = (redisUrl = testRedisUrl()) => {
  const open: Redis[] = []
  return {
    create: () => {
      const connection = new Redis(redisUrl, { maxRetriesPerRequest: null })
      connection.on('error', () => {}) // tests that stop Redis expect these to fail
      open.push(connection)
      return connection
    },
    closeAll: () => {
      for (const connection of open.splice(0)) connection.disconnect()
    },
  }
}
