import { conversionColumns, conversionShard, QUEUE, type ConversionColumns } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleValue } from '../../test-support/metrics.js'
import { aTenant, bearer } from '../../test-support/tokens.js'
import { connectDb, events, runningExperiment, sendConversions, startGateway } from './system.js'

// This file has a Redis of its own and no analytics worker: every accepted batch stays in its
// queue, where it is counted, and no other test file's worker can take it.
let db: Kysely<DB>
let redis: RedisClient
let ownRedisServer: RunningRedis
let gateway: Awaited<ReturnType<typeof startGateway>>
let queue: Queue
const tenant = aTenant()
// The gateways that fill the queue write to one conversions shard, whose queue and backlog counter are read here.
const shard = conversionShard(0, 1)
let experimentId: string

const queued = async () => {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
  return Object.values(counts).reduce((a, b) => a + b, 0)
}

beforeAll(async () => {
  db = connectDb()
  const dir = new URL(`../../.data/test-redis-ingestion-${process.pid}`, import.meta.url).pathname
  ownRedisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(ownRedisServer.url)
  gateway = await startGateway(db, redis, undefined, { conversionShards: 1 })
  queue = new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix })
  experimentId = (await runningExperiment(gateway, tenant, [50, 50])).id
})
afterAll(async () => {
  await queue.close()
  await gateway.close()
  await db.destroy()
  redis.disconnect()
  await ownRedisServer.stop()
})

describe('POST /api/conversions', () => {
  it('answers 202 with the count once the batch is one job in Redis, with defaults applied', async () => {
    const before = await queued()
    const [plain, purchase] = events(experimentId, ['u1', 'u2'], {})
    const batch = [plain!, { ...purchase!, metric: 'purchase', value: 12.5, timestamp: '2026-01-02T03:04:05Z' }]
    const sentAt = Date.now()
    const { status, body } = await sendConversions(gateway, tenant, batch)
    expect(status).toBe(202)
    expect(body).toEqual({ data: { accepted: 2 } })
    expect(await queued()).toBe(before + 1)
    const [job] = await queue.getJobs(['waiting'], 0, 0, false)
    expect(job!.data.tenantId).toBe(tenant)
    const columns = conversionColumns(job!.data) as ConversionColumns
    expect(columns.eventIds).toEqual([batch[0]!.eventId, batch[1]!.eventId])
    expect(columns.userIds).toEqual(['u1', 'u2'])
    expect(columns.experimentIds).toEqual([experimentId, experimentId])
    expect(columns.metrics).toEqual(['conversion', 'purchase'])
    expect(columns.values).toEqual([1, 12.5])
    expect(Math.abs(Date.parse(columns.timestamps[0]!) - sentAt)).toBeLessThan(5000)
    expect(columns.timestamps[1]).toBe('2026-01-02T03:04:05Z')
  })

  it('POST /api/experiments/:id/conversions takes the experiment from the path', async () => {
    const response = await gateway.inject({
      method: 'POST',
      url: `/api/experiments/${experimentId}/conversions`,
      headers: bearer(tenant, 'events:write'),
      payload: { events: [{ eventId: `path-${Date.now()}`, userId: 'u9' }] },
    })
    expect(response.statusCode).toBe(202)
    const [job] = await queue.getJobs(['waiting'], 0, 0, false)
    expect(job!.data.experimentIds).toBe(experimentId)
  })

  it("POST /api/experiments/:id/conversions answers 404 for an unknown or another tenant's experiment, and enqueues nothing", async () => {
    const before = await queued()
    for (const id of ['exp_unknown', (await runningExperiment(gateway, aTenant(), [50, 50])).id]) {
      const response = await gateway.inject({
        method: 'POST',
        url: `/api/experiments/${id}/conversions`,
        headers: bearer(tenant, 'events:write'),
        payload: { events: [{ eventId: `path-404-${id}`, userId: 'u9' }] },
      })
      expect(response.statusCode).toBe(404)
      expect(response.json().error).toEqual({ code: 'EXPERIMENT_NOT_FOUND', message: `experiment ${id} does not exist` })
    }
    expect(await queued()).toBe(before)
  })

  it('accepts exactly 1000 events', async () => {
    const batch = events(
      experimentId,
      Array.from({ length: 1000 }, (_, i) => `k${i}`),
    )
    expect((await sendConversions(gateway, tenant, batch)).body).toEqual({ data: { accepted: 1000 } })
  })

  it('counts an eventId in characters, as the schema does: 128 emoji are accepted', async () => {
    const [event] = events(experimentId, ['u-emoji'])
    const eventId = '😀'.repeat(128) // 256 UTF-16 code units
    expect((await sendConversions(gateway, tenant, [{ ...event!, eventId }])).status).toBe(202)
    const [job] = await queue.getJobs(['waiting'], 0, 0, false)
    expect(job!.data.eventIds).toEqual([eventId])
  })

  const one = (overrides: object) => ({ ...events('', ['u'])[0], experimentId: undefined, ...overrides })
  const cases: [string, string, () => object[]][] = [
    ['an empty batch', '/events', () => []],
    [
      '1001 events',
      '/events',
      () =>
        events(
          experimentId,
          Array.from({ length: 1001 }, (_, i) => `x${i}`),
        ),
    ],
    ['a missing eventId', '/events/0/eventId', () => [{ experimentId, userId: 'u' }]],
    ['an empty eventId', '/events/0/eventId', () => [one({ experimentId, eventId: '' })]],
    ['an eventId of 129 characters', '/events/0/eventId', () => [one({ experimentId, eventId: 'e'.repeat(129) })]],
    ['an eventId of 129 emoji', '/events/0/eventId', () => [one({ experimentId, eventId: '😀'.repeat(129) })]],
    ['an eventId with an unpaired surrogate (stored as U+FFFD, it would collide)', '/events/0/eventId', () => [one({ experimentId, eventId: 'e\ud800' })]],
    ['a missing userId', '/events/0/userId', () => [{ eventId: 'e1', experimentId }]],
    ['a metric with capitals', '/events/0/metric', () => [one({ experimentId, metric: 'Purchase' })]],
    ['a metric of 65 characters', '/events/0/metric', () => [one({ experimentId, metric: 'm'.repeat(65) })]],
    ['a value that is a string', '/events/0/value', () => [one({ experimentId, value: '3' })]],
    ['a value beyond 10^15, whose square would overflow the stored sum of squares', '/events/0/value', () => [one({ experimentId, value: -1e200 })]],
    ['a timestamp that is not ISO-8601', '/events/0/timestamp', () => [one({ experimentId, timestamp: 'yesterday' })]],
    ['a timestamp with an impossible date', '/events/0/timestamp', () => [one({ experimentId, timestamp: '2025-02-30T25:00:00Z' })]],
    [
      'a 29 February outside leap years (PostgreSQL would refuse it after the 202)',
      '/events/0/timestamp',
      () => [one({ experimentId, timestamp: '2025-02-29T00:00:00.000Z' })],
    ],
    ['a timestamp without a time zone', '/events/0/timestamp', () => [one({ experimentId, timestamp: '2025-02-01T00:00:00' })]],
    ['a timestamp 10 minutes in the future', '/events/0/timestamp', () => [one({ experimentId, timestamp: new Date(Date.now() + 600_000).toISOString() })]],
    ['an unknown experiment', '/events/0/experimentId', () => [one({ experimentId: 'exp_unknown' })]],
    ['an unknown field', '/events/0/revenue', () => [one({ experimentId, revenue: 3 })]],
    ['a bad event after good ones', '/events/2/metric', () => [...events(experimentId, ['a', 'b']), one({ experimentId, metric: '!' })]],
  ]
  it.each(cases)('rejects the whole batch with 400 for %s, naming %s, and enqueues nothing', async (_case, path, batch) => {
    const before = await queued()
    const backlog = await redis.get(shard.backlogKey)
    const { status, body } = await sendConversions(gateway, tenant, batch())
    expect(status).toBe(400)
    expect(body.error.code).toBe('VALIDATION_FAILED')
    const detail = body.error.details.find((d: { path: string }) => d.path === path)
    expect(detail).toBeDefined()
    const index = /^\/events\/(\d+)/.exec(path)?.[1]
    if (index !== undefined) expect(detail.index).toBe(Number(index))
    expect(await queued()).toBe(before)
    expect(await redis.get(shard.backlogKey)).toBe(backlog)
  })

  it('answers a batch with problems of every kind with one 400 listing all of them, by event', async () => {
    const before = await queued()
    const future = new Date(Date.now() + 600_000).toISOString()
    const [good, badMetric, futureTimestamp, unknown, both] = events(experimentId, ['a', 'b', 'c', 'd', 'e'])
    const batch = [
      good!,
      { ...badMetric, metric: 'Purchase' },
      { ...futureTimestamp, timestamp: future },
      { ...unknown, experimentId: 'exp_unknown' },
      { ...both, value: 'three', timestamp: 'yesterday' },
    ]
    const { status, body } = await sendConversions(gateway, tenant, batch)
    expect(status).toBe(400)
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.details.map((d: { index: number; path: string }) => [d.index, d.path])).toEqual([
      [1, '/events/1/metric'],
      [2, '/events/2/timestamp'],
      [3, '/events/3/experimentId'],
      [4, '/events/4/value'],
      [4, '/events/4/timestamp'],
    ])
    expect(body.error.details[1].message).toBe('timestamp is more than 5 minutes in the future')
    expect(body.error.details[2].message).toBe('experiment exp_unknown does not exist')
    expect(body.error.message.split('; ')).toHaveLength(5)
    expect(await queued()).toBe(before)
  })

  it('lists the timestamp problems of a batch for the experiment of the path beside its schema problems', async () => {
    const [first, second] = events(experimentId, ['a', 'b']).map(({ experimentId: _, ...event }) => event)
    const response = await gateway.inject({
      method: 'POST',
      url: `/api/experiments/${experimentId}/conversions`,
      headers: bearer(tenant, 'events:write'),
      payload: {
        events: [
          { ...first, metric: '' },
          { ...second, timestamp: '2025-02-29T00:00:00Z' },
        ],
      },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.details.map((d: { path: string }) => d.path)).toEqual(['/events/0/metric', '/events/1/timestamp'])
  })

  it("rejects events for another tenant's experiment as unknown", async () => {
    const other = aTenant()
    const theirs = await runningExperiment(gateway, other, [50, 50])
    const { status, body } = await sendConversions(gateway, tenant, events(theirs.id, ['u']))
    expect(status).toBe(400)
    expect(body.error.details[0]).toMatchObject({ index: 0, path: '/events/0/experimentId' })
  })

  it('lists at most 100 problems for a 1 MiB body of 340,000 empty events, saying how many more there were, at once', async () => {
    const payload = `{"events":[${new Array(340_000).fill('{}').join(',')}]}`
    // CPU time of this process (the gateway runs in it), not wall time: other processes' load must not count.
    const started = process.cpuUsage()
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/conversions',
      headers: { ...bearer(tenant, 'events:write'), 'content-type': 'application/json' },
      payload,
    })
    const cpu = process.cpuUsage(started)
    expect(response.statusCode).toBe(400)
    const { error } = response.json()
    expect(error.details).toHaveLength(100)
    // Problems listed for the first events (two or three each), one at least for each event after them.
    const more = Number(/\(and at least (\d+) more problems\)$/.exec(error.message)?.[1])
    expect(more).toBeGreaterThanOrEqual(340_000 - 50)
    // Ajv listing all million problems took 0.6 s on its own here; the events after the first are only checked.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(400)
    // The whole list was 150 MB and took seconds to write.
    expect(response.payload.length).toBeLessThan(64 * 1024)
  })

  it('returns 413 for a body over 1 MiB and enqueues nothing', async () => {
    const before = await queued()
    const huge = await gateway.inject({
      method: 'POST',
      url: '/api/conversions',
      headers: { ...bearer(tenant, 'events:write'), 'content-type': 'application/json' },
      payload: JSON.stringify({ events: events(experimentId, ['u']), padding: 'x'.repeat(1024 * 1024) }),
    })
    expect(huge.statusCode).toBe(413)
    expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(await queued()).toBe(before)
  })

  it('requires the events:write scope', async () => {
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/conversions',
      headers: bearer(tenant, 'experiments:read experiments:write assignments:write'),
      payload: { events: events(experimentId, ['u']) },
    })
    expect(response.statusCode).toBe(403)
  })
})

describe('ingestion backpressure', () => {
  it('answers 429 with Retry-After once the backlog passes the limit, and accepts again when it drains', async () => {
    const limited = await startGateway(db, redis, { maxEvents: (Number(await redis.get(shard.backlogKey)) || 0) + 10 }, { conversionShards: 1 })
    try {
      expect((await sendConversions(limited, tenant, events(experimentId, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']))).status).toBe(202)
      await new Promise((r) => setTimeout(r, 300)) // the guard reads the backlog at most every 250 ms
      const before = await queued()
      const refused = await sendConversions(limited, tenant, events(experimentId, ['i', 'j', 'k']))
      expect(refused.status).toBe(429)
      expect(refused.body.error.code).toBe('BACKLOG_FULL')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      expect(await queued()).toBe(before)
      await redis.decrby(shard.backlogKey, 8) // as the worker does once the events are stored
      await new Promise((r) => setTimeout(r, 300))
      expect((await sendConversions(limited, tenant, events(experimentId, ['i', 'j', 'k']))).status).toBe(202)
    } finally {
      await limited.close()
    }
  })
})

describe('the backlog on GET /metrics', () => {
  it('experiments_conversion_backlog holds the events queued and not stored yet: the sum of the backlog counters', async () => {
    const backlog = async () => sampleValue((await gateway.inject({ method: 'GET', url: '/metrics' })).body, 'experiments_conversion_backlog')
    const before = Number((await redis.get(shard.backlogKey)) ?? 0)
    expect(await backlog()).toBe(before)
    expect((await sendConversions(gateway, tenant, events(experimentId, ['m1', 'm2', 'm3', 'm4']))).status).toBe(202)
    expect(await backlog()).toBe(before + 4)
    await redis.decrby(shard.backlogKey, 4) // as the worker does once the events are stored
    expect(await backlog()).toBe(before)
  })
})

describe('ingestion without Redis', () => {
  it('answers 503, never a false 202, while Redis is down', async () => {
    const dir = new URL(`../../.data/test-redis-down-${process.pid}`, import.meta.url).pathname
    const privateRedis = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
    const ownRedis = await connectRedis(privateRedis.url)
    const ownDb = connectDb()
    const isolated = await startGateway(ownDb, ownRedis)
    try {
      expect((await sendConversions(isolated, tenant, events(experimentId, ['before']))).status).toBe(202)
      await privateRedis.stop()
      const during = await sendConversions(isolated, tenant, events(experimentId, ['during']))
      expect(during.status).toBe(503)
      expect(during.body.error.code).toBe('SERVICE_UNAVAILABLE')
      expect(during.headers['retry-after']).toBeDefined()
      // The backlog cannot be read: it has no value, and the rest of the scrape still answers.
      const scrape = await isolated.inject({ method: 'GET', url: '/metrics' })
      expect(scrape.statusCode).toBe(200)
      expect(sampleValue(scrape.body, 'experiments_conversion_backlog')).toBeNaN()
      expect(sampleValue(scrape.body, 'process_cpu_user_seconds_total')).toBeGreaterThan(0)
    } finally {
      // Closing waits for BullMQ's event connection, which cannot reconnect to a stopped Redis.
      await Promise.race([isolated.close().catch(() => {}), new Promise((r) => setTimeout(r, 2000))])
      ownRedis.disconnect()
      await ownDb.destroy()
    }
  })
})
