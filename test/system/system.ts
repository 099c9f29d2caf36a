/**
 * The whole system in one test process, the way the services meet in production: the gateway and
 * assignment replicas over HTTP (inject), the analytics drain on the same PostgreSQL and Redis.
 */
import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createDb, type DB } from '@experiments/db'
import { freePort } from '@experiments/devstack'
import { connectRedis, type Redis } from '@experiments/redis'
import type { Kysely } from 'kysely'
import pino from 'pino'
import { buildApp as buildAssignment } from '../../apps/assignment/src/app.js'
import { assignmentStore } from '../../apps/analytics/src/assignments/assignment-store.js'
import { createRebuilder } from '../../apps/analytics/src/assignments/rebuild.js'
import { configPublisher } from '@experiments/contracts'
import { createAssignmentDrain } from '../../apps/analytics/src/assignments/stream-drain.js'
import { buildApp as buildGateway } from '../../apps/gateway/src/app.js'
import { startWorkers } from '../../apps/analytics/src/workers.js'
import { blockingConnections, testDatabaseUrl, testRedisUrl } from '../../test-support/context.js'
import { bearer, TEST_JWT_SECRET } from '../../test-support/tokens.js'

const silent = pino({ level: 'silent' })

export const connectDb = () => createDb(testDatabaseUrl(), { max: 5 })
export const connect = () => connectRedis(testRedisUrl())

/** A gateway on the test database; its BullMQ event connections close with it. */
export const startGateway = async (db: Kysely<DB>, redis: Redis, limits?: Parameters<typeof buildGateway>[0]['limits']) => {
  const blocking = blockingConnections(`redis://${redis.options.host}:${redis.options.port}`)
  const app = await buildGateway({ db, redis, blockingRedis: blocking.create, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent', ...(limits ? { limits } : {}) })
  app.addHook('onClose', async () => blocking.closeAll())
  return app
}

export type Replica = Awaited<ReturnType<typeof startReplica>>

/**
 * One assignment-service replica with its own Redis connections (to the tests' Redis unless
 * `redisUrl`); `commandTimeout` bounds its command connection as server.ts does (REDIS_COMMAND_TIMEOUT_MS).
 */
export const startReplica = async (redisUrl = testRedisUrl(), options: { commandTimeout?: number } = {}) => {
  const redis = await connectRedis(redisUrl, options)
  const subscriber = await connectRedis(redisUrl, { enableOfflineQueue: true })
  const app = await buildAssignment({ redis, subscriber, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent' })
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

/** Creates and starts an experiment through the gateway; returns it. */
export const runningExperiment = async (gateway: Awaited<ReturnType<typeof startGateway>>, tenant: string, splits: number[], extra: object = {}) => {
  const created = await gateway.inject({
    method: 'POST',
    url: '/api/experiments',
    headers: bearer(tenant),
    payload: { name: `split ${splits.join('/')}`, variants: splits.map((s, i) => ({ name: `V${i}`, splitPercentage: s })), ...extra },
  })
  if (created.statusCode !== 201) throw new Error(`create failed: ${created.body}`)
  const { id } = created.json().data
  const started = await gateway.inject({ method: 'POST', url: `/api/experiments/${id}/start`, headers: bearer(tenant) })
  if (started.statusCode !== 200) throw new Error(`start failed: ${started.body}`)
  return started.json().data as { id: string; variants: { id: string; splitPercentage: number }[] }
}

/** The analytics side, in process: the stream drain and the rebuilder. */
export const analytics = (db: Kysely<DB>, redis: Redis) => {
  const store = assignmentStore(db)
  const drain = createAssignmentDrain({ redis, store, consumer: `test-${randomBytes(3).toString('hex')}`, log: silent, claimIdleMs: 500 })
  return { store, drain, rebuilder: createRebuilder({ redis, store, drain, publisher: configPublisher(redis), log: silent, graceMs: 10 }) }
}

const ROOT = new URL('../../', import.meta.url).pathname

/** Runs a built service entry point (npm run build first) as its own process. */
export const spawnService = async (entry: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> => {
  const path = `${ROOT}${entry}`
  if (!existsSync(path)) throw new Error(`${entry} is missing: run npm run build first`)
  const port = await freePort()
  const child = spawn(process.execPath, [path], {
    env: {
      ...process.env,
      DATABASE_URL: testDatabaseUrl(),
      REDIS_URL: testRedisUrl(),
      JWT_SECRET: TEST_JWT_SECRET,
      ANALYTICS_PORT: String(port),
      LOG_LEVEL: process.env.TEST_SERVICE_LOG_LEVEL ?? 'error',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  return { child, port }
}

/** Polls `probe` until it returns true or `timeoutMs` passes. */
export const eventually = async (probe: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** The analytics BullMQ workers, in process, on the test database and the Redis of `redis`. */
export const startAnalyticsWorkers = async (
  db: Kysely<DB>,
  redis: Redis,
  options: { sweepEveryMs?: number; completeEveryMs?: number; reconcileEveryMs?: number; sweepSettleSeconds?: number } = {},
) => {
  const blocking = blockingConnections(`redis://${redis.options.host}:${redis.options.port}`)
  const workers = await startWorkers({ db, redis, bullConnection: blocking.create, concurrency: 4, log: silent, ...options })
  return {
    close: async () => {
      await workers.close()
      blocking.closeAll()
    },
  }
}

let eventCounter = 0
/** Conversion events with fresh eventIds. */
export const events = (experimentId: string, users: string[], extra: object = {}) =>
  users.map((userId) => ({ eventId: `evt-${process.pid}-${eventCounter++}`, experimentId, userId, ...extra }))

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

/** spawnService, with the service's stdout and stderr collected rather than passed through. */
export const spawnServiceWithOutput = async (entry: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number; output: ServiceOutput }> => {
  const path = `${ROOT}${entry}`
  if (!existsSync(path)) throw new Error(`${entry} is missing: run npm run build first`)
  const port = await freePort()
  const child = spawn(process.execPath, [path], {
    env: { ...process.env, DATABASE_URL: testDatabaseUrl(), REDIS_URL: testRedisUrl(), JWT_SECRET: TEST_JWT_SECRET, ANALYTICS_PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
      lines: () => all().filter(parsesAsJson).map((line) => JSON.parse(line) as LogLine),
      notJson: () => all().filter((line) => !parsesAsJson(line)),
    },
  }
}
