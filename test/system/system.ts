/**
 * The whole system in one test process, the way the services meet in production: the gateway and
 * assignment replicas over HTTP (inject), the analytics drain and workers on the same PostgreSQL and
 * Redis, and the services' built entry points as processes of their own. The apps are reached through
 * their public entry points only. What the analytics worker's own tests share with these scenarios
 * lives in test-support/ and is re-exported here, so a scenario imports its helpers from one module.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { freePort } from '@experiments/devstack'
import { connectRedis } from '@experiments/redis'
import { buildApp as buildAssignment } from '../../apps/assignment/src/index.js'
import type { RedisTarget } from '@experiments/config'
import { redisEnvOf, testDatabaseUrl, testRedis } from '../../test-support/context.js'
import { bearer, TEST_JWT_SECRET } from '../../test-support/tokens.js'
import type { startGateway } from '../../test-support/services.js'

export { connect, connectDb } from '../../test-support/connections.js'
export { assignAnHourAgo, conversionTotals, events, storedEvents } from '../../test-support/conversions.js'
export { eventually } from '../../test-support/eventually.js'
export {
  analytics,
  callGateway,
  loggedAnalyticsWorkers,
  runningExperiment,
  startAnalyticsWorkers,
  startGateway,
  unreachableDb,
} from '../../test-support/services.js'

export type Replica = Awaited<ReturnType<typeof startReplica>>

/**
 * One assignment-service replica with its own Redis connections (to the tests' Redis unless
 * `redisTarget`); `commandTimeout` bounds its command connection as server.ts does (REDIS_COMMAND_TIMEOUT_MS).
 */
export const startReplica = async (
  redisTarget: string | RedisTarget = testRedis(),
  options: { commandTimeout?: number; replicaAcks?: { replicas: number; timeoutMs: number } } = {},
) => {
  const { replicaAcks, ...connectOptions } = options
  const redis = await connectRedis(redisTarget, connectOptions)
  const subscriber = await connectRedis(redisTarget, { enableOfflineQueue: true })
  const app = await buildAssignment({ redis, subscriber, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent', ...(replicaAcks ? { replicaAcks } : {}) })
  return {
    app,
    close: async () => {
      await app.close()
      redis.disconnect()
      subscriber.disconnect()
    },
  }
}

export type Assignment = { experimentId: string; userId: string; variant: { id: string } | null; reason: string }

export const assign = async (replica: Replica, tenant: string, experimentId: string, userId: string, attributes?: object) => {
  const response = await replica.app.inject({
    method: 'POST',
    url: `/api/experiments/${experimentId}/assignments`,
    headers: bearer(tenant, 'assignments:write'),
    payload: { userId, ...(attributes ? { attributes } : {}) },
  })
  if (response.statusCode !== 200) throw new Error(`assignment failed: ${response.statusCode} ${response.body}`)
  return response.json().data as Assignment
}

/** POST /api/assignments for `experimentIds`: one request, one answer per experiment. */
export const assignMany = async (replica: Replica, tenant: string, userId: string, experimentIds: string[]) => {
  const response = await replica.app.inject({
    method: 'POST',
    url: '/api/assignments',
    headers: bearer(tenant, 'assignments:write'),
    payload: { userId, experimentIds },
  })
  if (response.statusCode !== 200) throw new Error(`batch assignment failed: ${response.statusCode} ${response.body}`)
  return response.json().data as Assignment[]
}

/** Runs `task` over `items` with at most `width` in flight. */
export const inParallel = async <T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await task(items[index]!)
      }
    }),
  )
  return results
}

const ROOT = new URL('../../', import.meta.url).pathname

/** Starts a built service entry point (npm run build first) as its own process, with `stdio` for its output. */
const spawnBuilt = async (entry: string, env: Record<string, string>, output: 'inherit' | 'pipe') => {
  const path = `${ROOT}${entry}`
  if (!existsSync(path)) throw new Error(`${entry} is missing: run npm run build first`)
  const port = await freePort()
  const child = spawn(process.execPath, [path], {
    env: {
      ...process.env,
      DATABASE_URL: testDatabaseUrl(),
      ...redisEnvOf(),
      JWT_SECRET: TEST_JWT_SECRET,
      ANALYTICS_PORT: String(port),
      LOG_LEVEL: process.env.TEST_SERVICE_LOG_LEVEL ?? 'error',
      ...env,
    },
    stdio: ['ignore', output, output],
  })
  return { child, port }
}

/** Runs a built service entry point as its own process, its output passed through. */
export const spawnService = (entry: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> => spawnBuilt(entry, env, 'inherit')

export const sendConversions = async (gateway: Awaited<ReturnType<typeof startGateway>>, tenant: string, batch: object[]) => {
  const response = await gateway.inject({ method: 'POST', url: '/api/conversions', headers: bearer(tenant, 'events:write'), payload: { events: batch } })
  return { status: response.statusCode, body: response.json(), headers: response.headers }
}

/** Resolves once `child` has exited, also when it already had (its 'exit' event is not replayed). */
export const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))

/** What a spawned service wrote, line by line; `lines()` parses each as JSON (pino), `notJson()` lists the lines that are not. */
export type ServiceOutput = { stdout: string[]; stderr: string[]; lines: () => LogLine[]; notJson: () => string[] }
export type LogLine = { level: number; msg: string; [field: string]: unknown }

const collectLines = (stream: NodeJS.ReadableStream, into: string[]) => {
  let partial = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop()!
    into.push(...parts.filter((line) => line.length > 0))
  })
  stream.on('end', () => {
    if (partial) into.push(partial)
  })
}

const parsesAsJson = (line: string) => {
  try {
    JSON.parse(line)
    return true
  } catch {
    return false
  }
}

/** spawnService, with the service's stdout and stderr (at LOG_LEVEL info unless `env` says otherwise) collected rather than passed through. */
export const spawnServiceWithOutput = async (
  entry: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; output: ServiceOutput }> => {
  const { child, port } = await spawnBuilt(entry, { LOG_LEVEL: 'info', ...env }, 'pipe')
  const stdout: string[] = []
  const stderr: string[] = []
  collectLines(child.stdout!, stdout)
  collectLines(child.stderr!, stderr)
  const all = () => [...stdout, ...stderr]
  return {
    child,
    port,
    output: {
      stdout,
      stderr,
      lines: () =>
        all()
          .filter(parsesAsJson)
          .map((line) => JSON.parse(line) as LogLine),
      notJson: () => all().filter((line) => !parsesAsJson(line)),
    },
  }
}
