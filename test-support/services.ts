/**
 * The gateway and the analytics worker in the test process, on the test database and Redis, built
 * through their public entry points: what the system scenarios (test/system) and the analytics
 * worker's own tests (apps/analytics/test) both build on.
 */
import { randomBytes } from 'node:crypto'
import { configPublisher } from '@experiments/contracts'
import { createDb, type DB } from '@experiments/db'
import { freePort } from '@experiments/devstack'
import { Registry } from '@experiments/http'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import pino from 'pino'
import { assignmentStore, createAssignmentDrain, createRebuilder, startWorkers, type WorkerOptions } from '../apps/analytics/src/index.js'
import { buildApp as buildGateway } from '../apps/gateway/src/index.js'
import { blockingConnections, targetOf } from './context.js'
import { bearer, TEST_JWT_SECRET } from './tokens.js'

const silent = pino({ level: 'silent' })

/** A gateway on the test database; its BullMQ event connections close with it. */
export const startGateway = async (
  db: Kysely<DB>,
  redis: RedisClient,
  limits?: Parameters<typeof buildGateway>[0]['limits'],
  options: Pick<Parameters<typeof buildGateway>[0], 'conversionShards' | 'replicaAcks'> = {},
) => {
  const blocking = blockingConnections(targetOf(redis))
  const app = await buildGateway({
    db,
    redis,
    blockingRedis: blocking.create,
    auth: { jwtSecret: TEST_JWT_SECRET },
    logLevel: 'silent',
    ...(limits ? { limits } : {}),
    ...options,
  })
  app.addHook('onClose', async () => blocking.closeAll())
  return app
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

/** Calls the gateway as `tenant` (all scopes); returns the status and the parsed body. */
export const callGateway = async (gateway: Awaited<ReturnType<typeof startGateway>>, tenant: string, method: 'GET' | 'POST', url: string, payload?: object) => {
  const response = await gateway.inject({ method, url, headers: bearer(tenant), ...(payload ? { payload } : {}) })
  return { status: response.statusCode, body: response.json() }
}

/** The analytics side, in process: the stream drain and the rebuilder. */
export const analytics = (db: Kysely<DB>, redis: RedisClient) => {
  const store = assignmentStore(db)
  const drain = createAssignmentDrain({ redis, store, consumer: `test-${randomBytes(3).toString('hex')}`, log: silent, claimIdleMs: 500 })
  return { store, drain, rebuilder: createRebuilder({ redis, store, drain, publisher: configPublisher(redis), log: silent, graceMs: 10 }) }
}

/** The analytics BullMQ workers, in process, on `db` and the Redis of `redis`; silent unless `options.log`. */
export const startAnalyticsWorkers = async (db: Kysely<DB>, redis: RedisClient, options: Partial<WorkerOptions> = {}) => {
  const blocking = blockingConnections(targetOf(redis))
  const workers = await startWorkers({ db, redis, bullConnection: blocking.create, concurrency: 4, log: silent, metrics: new Registry(), ...options })
  return {
    conversionShards: workers.conversionShards,
    close: async () => {
      await workers.close()
      blocking.closeAll()
    },
  }
}

export type WorkerLogLine = { level: number; msg: string; jobId?: string; queue?: string; reason?: string; [field: string]: unknown }

/** startAnalyticsWorkers, logging at info into `lines`. */
export const loggedAnalyticsWorkers = async (db: Kysely<DB>, redis: RedisClient, options: Partial<WorkerOptions> = {}) => {
  const lines: WorkerLogLine[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  const workers = await startAnalyticsWorkers(db, redis, { log, ...options })
  return { lines, close: workers.close }
}

/** A database URL on which nothing listens: PostgreSQL cannot be reached. */
export const unreachableDb = async () => createDb(`postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`, { max: 2 })
