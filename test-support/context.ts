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
