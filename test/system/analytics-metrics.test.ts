/**
 * The analytics worker's GET /metrics, on its health port, with the worker as its own process (its
 * built main.js) on a private redis-server: every job it counts is this file's.
 */
import { rmSync } from 'node:fs'
import { conversionShard, QUEUE, QUEUE_PREFIX, redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metricNames, PROCESS_METRICS, sampleValue } from '../../test-support/metrics.js'
import { aTenant } from '../../test-support/tokens.js'
import {
  assign,
  connectDb,
  eventually,
  events,
  exited,
  runningExperiment,
  sendConversions,
  spawnService,
  startGateway,
  startReplica,
  type Replica,
} from './system.js'

const TOKEN = 'analytics-metrics-token-1234'
const tenant = aTenant()
const dir = new URL(`../../.data/test-redis-analytics-metrics-${process.pid}`, import.meta.url).pathname
const shard = conversionShard(0, 1)
const conversionsQueue = `${shard.prefix}:${QUEUE.conversions}`

let db: Kysely<DB>
let server: RunningRedis
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
let worker: Awaited<ReturnType<typeof spawnService>>

const metricsUrl = () => `http://127.0.0.1:${worker.port}/metrics`
const scrape = async () => {
  const response = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(response.status).toBe(200)
  return response.text()
}

beforeAll(async () => {
  db = connectDb()
  server = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(server.url)
  gateway = await startGateway(db, redis, undefined, { conversionShards: 1 })
  replica = await startReplica(server.url)
  worker = await spawnService('apps/analytics/dist/main.js', { REDIS_URL: server.url, CONVERSION_QUEUE_SHARDS: '1', METRICS_TOKEN: TOKEN })
  await eventually(async () => (await fetch(`http://127.0.0.1:${worker.port}/ready`).catch(() => undefined))?.status === 200, 20_000, 'the worker to be ready')
  await eventually(async () => (await redis.exists(redisKeys.restored)) === 1, 20_000, 'the worker to set up the new Redis')
})
afterAll(async () => {
  if (worker) {
    worker.child.kill('SIGTERM')
    await exited(worker.child)
  }
  await replica?.close()
  await gateway?.close()
  redis?.disconnect()
  await server?.stop()
  await db?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

describe('GET /metrics on the analytics worker', () => {
  it.each([
    ['no token', {}],
    ['another token', { authorization: `Bearer ${TOKEN}5` }],
  ])('answers %s with 401 UNAUTHORIZED in the error envelope (METRICS_TOKEN is set)', async (_case, headers) => {
    const response = await fetch(metricsUrl(), { headers })
    expect(response.status).toBe(401)
    const body = await response.json()
    expect(body).toEqual({
      error: { code: 'UNAUTHORIZED', message: expect.stringContaining('METRICS_TOKEN') },
      requestId: response.headers.get('x-request-id'),
    })
  })

  it("answers the token's bearer with the process metrics and the worker's, in Prometheus's text format", async () => {
    const response = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(metricNames(await response.text())).toEqual(
      expect.arrayContaining([
        ...PROCESS_METRICS,
        'http_request_duration_seconds',
        'experiments_queue_jobs',
        'experiments_job_duration_seconds',
        'experiments_events_stored_total',
        'experiments_assignment_drain_lag_seconds',
      ]),
    )
  })

  it('counts the jobs of every queue by state', async () => {
    const text = await scrape()
    for (const queue of [conversionsQueue, `${QUEUE_PREFIX}:${QUEUE.computeResults}`, `${QUEUE_PREFIX}:${QUEUE.maintenance}`]) {
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(sampleValue(text, 'experiments_queue_jobs', { queue, state }), `${queue} ${state}`).toBeGreaterThanOrEqual(0)
    }
  })

  it('counts the events stored and times the conversions jobs once the batches are processed', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const batches = [events(experiment.id, ['a', 'b', 'c']), events(experiment.id, ['d', 'e'])]
    for (const batch of batches) expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    let text = ''
    await eventually(
      async () => {
        text = await scrape()
        return sampleValue(text, 'experiments_events_stored_total') === 5
      },
      15_000,
      'the worker to store the 5 events',
    )
    expect(sampleValue(text, 'experiments_job_duration_seconds_count', { queue: conversionsQueue })).toBe(2)
    expect(sampleValue(text, 'experiments_job_duration_seconds_sum', { queue: conversionsQueue })).toBeGreaterThan(0)
    expect(sampleValue(text, 'experiments_queue_jobs', { queue: conversionsQueue, state: 'waiting' })).toBe(0)
    // A batch sent again is a job of its own, but its events are stored once: not counted again.
    expect((await sendConversions(gateway, tenant, batches[0]!)).status).toBe(202)
    await eventually(
      async () => sampleValue(await scrape(), 'experiments_job_duration_seconds_count', { queue: conversionsQueue }) === 3,
      15_000,
      'the third job',
    )
    expect(sampleValue(await scrape(), 'experiments_events_stored_total')).toBe(5)
  })

  it('gives the age of the oldest assignment not yet in PostgreSQL as the drain lag, 0 once drained', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const drainLag = async () => sampleValue(await scrape(), 'experiments_assignment_drain_lag_seconds')
    await eventually(async () => (await drainLag()) === 0, 10_000, 'the streams to be drained')
    // While a rebuild holds the experiment (its lock), the drain leaves its stream alone.
    await redis.set(redisKeys.rebuildLock(experiment.id), 'test', 'PX', 4000)
    await assign(replica, tenant, experiment.id, 'lagging-user')
    await new Promise((r) => setTimeout(r, 1500))
    expect(await drainLag()).toBeGreaterThanOrEqual(1.4)
    await eventually(async () => (await drainLag()) === 0, 15_000, 'the assignment to be drained once the lock is gone')
  })
})
