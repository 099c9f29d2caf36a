import { rmSync } from 'node:fs'
import { conversionColumns, conversionShard, QUEUE, redisKeys, type ConversionColumns, type ConversionJob } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../test-support/tokens.js'
import { connectDb, eventually, events, exited, runningExperiment, spawnService, startGateway, startReplica, type Replica } from './system.js'

// A Redis of its own, paused with CLIENT PAUSE: the shared test Redis serves other files meanwhile.
const TIMEOUT_MS = 1000 // REDIS_COMMAND_TIMEOUT_MS of the gateway and the replica
const PAUSE_MS = 5000
const BOUND_MS = TIMEOUT_MS + 500
const WARM_UP_MS = 1000
const AFTER_PAUSE_MS = 3000
/** Requests that start this long after the pause has ended must all succeed. */
const RECOVERY_MS = 1000

let redisServer: RunningRedis
let redisDir: string
let redis: RedisClient
let admin: RedisClient
let db: Kysely<DB>
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
const tenant = aTenant()
// The gateway writes to one conversions shard, whose queue is read after the stall.
const shard = conversionShard(0, 1)

beforeAll(async () => {
  redisDir = new URL(`../../.data/test-redis-stall-${process.pid}`, import.meta.url).pathname
  redisServer = await startPrivateRedis({ dir: redisDir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url, { commandTimeout: TIMEOUT_MS })
  admin = await connectRedis(redisServer.url) // pauses Redis and reads the queue afterwards: no timeout
  db = connectDb()
  gateway = await startGateway(db, redis, undefined, { conversionShards: 1 })
  replica = await startReplica(redisServer.url, { commandTimeout: TIMEOUT_MS })
})
afterAll(async () => {
  await replica?.close()
  await gateway?.close()
  await db?.destroy()
  redis?.disconnect()
  admin?.disconnect()
  await redisServer?.stop()
  if (redisDir) rmSync(redisDir, { recursive: true, force: true })
})

type Kind = 'assignment' | 'conversions' | 'experiment' | 'lifecycle' | 'ready'
type Outcome = {
  kind: Kind
  startedAt: number
  ms: number
  status: number
  body: { error?: { code: string; message: string }; requestId?: string; status?: string; checks?: Record<string, string>; data?: unknown }
  retryAfter: string | string[] | undefined
}
type Inject = { statusCode: number; json: () => unknown; headers: Record<string, string | string[] | number | undefined> }

describe('a stalled Redis (CLIENT PAUSE 5000 ALL) under load', () => {
  it(`answers every request within the command timeout + 500 ms, 503 with Retry-After while stalled, 2xx again after, and loses nothing it acknowledged`, async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const cycling = await runningExperiment(gateway, tenant, [50, 50]) // stopped and started over and over
    const headers = {
      read: bearer(tenant, 'experiments:read'),
      write: bearer(tenant, 'experiments:write'),
      assign: bearer(tenant, 'assignments:write'),
      events: bearer(tenant, 'events:write'),
    }

    const outcomes: Outcome[] = []
    const acceptedEventIds: string[] = []
    const sentEventIds = new Set<string>()
    const refusedUsers: string[] = []
    let running = true
    let cyclingStatus = 'running'
    let userCounter = 0

    const timed = async (kind: Kind, request: () => Promise<Inject>) => {
      const startedAt = Date.now()
      const response = await request()
      const outcome: Outcome = {
        kind,
        startedAt,
        ms: Date.now() - startedAt,
        status: response.statusCode,
        body: response.json() as Outcome['body'],
        retryAfter: response.headers['retry-after'] as Outcome['retryAfter'],
      }
      outcomes.push(outcome)
      return outcome
    }
    const loop = async (step: () => Promise<unknown>) => {
      while (running) await step()
    }
    const assignment = async () => {
      const userId = `stall-user-${userCounter++}`
      const { status } = await timed('assignment', () =>
        replica.app.inject({ method: 'POST', url: `/api/experiments/${experiment.id}/assignments`, headers: headers.assign, payload: { userId } }),
      )
      if (status !== 200) refusedUsers.push(userId)
    }
    const conversions = async () => {
      const batch = events(
        experiment.id,
        Array.from({ length: 100 }, (_, i) => `stall-user-${i}`),
      )
      for (const event of batch) sentEventIds.add(event.eventId)
      const { status } = await timed('conversions', () =>
        gateway.inject({ method: 'POST', url: '/api/conversions', headers: headers.events, payload: { events: batch } }),
      )
      if (status === 202) acceptedEventIds.push(...batch.map((event) => event.eventId))
    }
    const read = () => timed('experiment', () => gateway.inject({ method: 'GET', url: `/api/experiments/${experiment.id}`, headers: headers.read }))
    const lifecycle = async () => {
      const action = cyclingStatus === 'running' ? 'stop' : 'start'
      const { status, body } = await timed('lifecycle', () =>
        gateway.inject({ method: 'POST', url: `/api/experiments/${cycling.id}/${action}`, headers: headers.write }),
      )
      if (status === 200) cyclingStatus = (body.data as { status: string }).status
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const ready = async () => {
      await timed('ready', () => gateway.inject({ method: 'GET', url: '/ready' }))
      await timed('ready', () => replica.app.inject({ method: 'GET', url: '/ready' }))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    const loops = [loop(assignment), loop(assignment), loop(assignment), loop(conversions), loop(conversions), loop(read), loop(lifecycle), loop(ready)]
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS))
    const pauseSentAt = Date.now()
    expect(await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')).toBe('OK')
    // Redis paused somewhere between sending and this reply; it resumes PAUSE_MS later.
    const pauseEndsBy = Date.now() + PAUSE_MS
    await new Promise((resolve) => setTimeout(resolve, pauseEndsBy + AFTER_PAUSE_MS - Date.now()))
    running = false
    await Promise.all(loops)

    const summary = Object.fromEntries(
      (['assignment', 'conversions', 'experiment', 'lifecycle', 'ready'] as const).map((kind) => {
        const ofKind = outcomes.filter((o) => o.kind === kind)
        const ok = ofKind.filter((o) => o.status < 300).length
        return [kind, { requests: ofKind.length, ok, unavailable: ofKind.filter((o) => o.status === 503).length, maxMs: Math.max(...ofKind.map((o) => o.ms)) }]
      }),
    )

    // Bounded: nothing waited out the pause.
    const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a))
    expect(slowest.ms, `slowest: ${JSON.stringify(slowest)}`).toBeLessThanOrEqual(BOUND_MS)

    // Every kind of request met the stall (the check can fail) and answered it with 503.
    for (const [kind, { ok, unavailable }] of Object.entries(summary)) {
      expect(unavailable, `${kind}: 503s`).toBeGreaterThan(0)
      expect(ok, `${kind}: 2xx`).toBeGreaterThan(0)
    }
    for (const outcome of outcomes.filter((o) => o.status >= 300)) {
      expect(outcome.status, JSON.stringify(outcome)).toBe(503)
      if (outcome.kind === 'ready') {
        // The readiness check's own 2 s limit is not what ended it: the PING timed out.
        expect(outcome.body, JSON.stringify(outcome)).toMatchObject({ status: 'unavailable', checks: { redis: 'Command timed out' } })
        continue
      }
      expect(outcome.body, JSON.stringify(outcome)).toEqual({
        error: { code: 'SERVICE_UNAVAILABLE', message: 'Redis did not answer in time; retry shortly' },
        requestId: expect.any(String),
      })
      expect(outcome.retryAfter).toBe('1')
    }

    // Only the stall fails requests: all succeeded before it, and again within RECOVERY_MS after it.
    expect(outcomes.filter((o) => o.startedAt + o.ms < pauseSentAt && o.status >= 300)).toEqual([])
    for (const kind of Object.keys(summary)) {
      const after = outcomes.filter((o) => o.kind === kind && o.startedAt >= pauseEndsBy + RECOVERY_MS)
      expect(after.length, `${kind}: requests after the pause`).toBeGreaterThan(0)
      expect(
        after.filter((o) => o.status >= 300),
        `${kind}: failures after the pause`,
      ).toEqual([])
    }

    // Nothing acknowledged is lost: every event that got 202 is in a queued job. Batches that got
    // 503 may be there too (their job was sent and ran once Redis resumed), nothing else is, and
    // no event is queued twice.
    const queue = new Queue(QUEUE.conversions, { connection: admin, prefix: shard.prefix })
    let eventFigures = {}
    try {
      const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'], 0, -1, true)
      const queuedEventIds = jobs.flatMap((job) => (conversionColumns(job.data as ConversionJob) as ConversionColumns).eventIds)
      const queued = new Set(queuedEventIds)
      expect(queued.size).toBe(queuedEventIds.length)
      expect(acceptedEventIds.filter((id) => !queued.has(id))).toEqual([])
      expect(queuedEventIds.filter((id) => !sentEventIds.has(id))).toEqual([])
      eventFigures = { sent: sentEventIds.size, accepted: acceptedEventIds.length, queued: queued.size }
    } finally {
      await queue.close()
    }

    // A timed-out assignment still ran once Redis resumed: asked again, the user is told the
    // variant recorded then ('existing'), which the hash had chosen.
    const retried = await Promise.all(
      refusedUsers.map(async (userId) => {
        const response = await replica.app.inject({
          method: 'POST',
          url: `/api/experiments/${experiment.id}/assignments`,
          headers: headers.assign,
          payload: { userId },
        })
        return { userId, status: response.statusCode, reason: (response.json() as { data?: { reason?: string } }).data?.reason }
      }),
    )
    expect(retried.length).toBeGreaterThan(0)
    expect(retried.filter((r) => r.status !== 200 || r.reason !== 'existing')).toEqual([])
    // REDIS_STALL_SUMMARY=1 prints the figures: requests, 503s and the slowest answer per kind.
    if (process.env.REDIS_STALL_SUMMARY) console.log(JSON.stringify({ ...summary, events: eventFigures, retriedAssignments: retried.length }))
  }, 30_000)

  it('puts Redis back in line with PostgreSQL when a stop timed out after Redis took its status key', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const worker = await spawnService('apps/analytics/dist/main.js', { REDIS_URL: redisServer.url })
    const ask = async (userId: string) =>
      (
        await replica.app.inject({
          method: 'POST',
          url: `/api/experiments/${experiment.id}/assignments`,
          headers: bearer(tenant, 'assignments:write'),
          payload: { userId },
        })
      ).json().data?.reason as string | undefined
    try {
      await eventually(async () => (await admin.exists(redisKeys.restored)) === 1, 20_000, 'the worker to set up its Redis')
      expect(await admin.call('CLIENT', 'PAUSE', '2000', 'ALL')).toBe('OK')
      const stop = await gateway.inject({ method: 'POST', url: `/api/experiments/${experiment.id}/stop`, headers: bearer(tenant) })
      expect(stop.statusCode).toBe(503)
      // PostgreSQL rolled the stop back; the status key, sent before the timeout, was set once Redis resumed.
      expect((await db.selectFrom('experiments').select('status').where('id', '=', experiment.id).executeTakeFirstOrThrow()).status).toBe('running')
      await eventually(async () => (await admin.get(redisKeys.status(experiment.id))) === 'stopped', 5000, 'the timed-out status write to run')
      expect(await ask('while-disagreeing')).toBe('enrollment_closed')

      await eventually(async () => (await admin.get(redisKeys.status(experiment.id))) === 'running', 40_000, "the worker to publish PostgreSQL's status again")
      expect(await ask('after-resync')).toBe('assigned')
    } finally {
      worker.child.kill('SIGTERM')
      await exited(worker.child)
    }
  }, 60_000)
})
