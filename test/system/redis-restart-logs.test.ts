import { rmSync } from 'node:fs'
import { redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import { connectDb, eventually, events, exited, runningExperiment, sendConversions, spawnServiceWithOutput, startGateway } from './system.js'

// A Redis of this file's own, stopped and started again on its port while the worker runs.
const dir = new URL(`../../.data/test-redis-restart-logs-${process.pid}`, import.meta.url).pathname
let port: number
let redisServer: RunningRedis
let redis: RedisClient
let db: Kysely<DB>
let gateway: Awaited<ReturnType<typeof startGateway>>
const tenant = aTenant()

beforeAll(async () => {
  port = await freePort()
  // Append-only: a restart, not a loss of data (Redis-loss.test.ts covers that).
  redisServer = await startPrivateRedis({ dir, port, appendOnly: true })
  redis = await connectRedis(redisServer.url)
  await redis.set(redisKeys.restored, new Date().toISOString())
  db = connectDb()
  gateway = await startGateway(db, redis)
})
afterAll(async () => {
  await gateway.close().catch(() => {})
  redis.disconnect()
  await redisServer.stop()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

const counted = async (experimentId: string) =>
  (await db.selectFrom('conversions').select(sql<number>`count(*)::int`.as('n')).where('experiment_id', '=', experimentId).executeTakeFirstOrThrow()).n

it('writes nothing but JSON log lines through a Redis restart, and stores batches afterwards', async () => {
  const experiment = await runningExperiment(gateway, tenant, [50, 50])
  const worker = await spawnServiceWithOutput('apps/analytics/dist/main.js', { REDIS_URL: redisServer.url, LOG_LEVEL: 'info' })
  try {
    expect((await sendConversions(gateway, tenant, events(experiment.id, ['a', 'b']))).status).toBe(202)
    await eventually(async () => (await counted(experiment.id)) === 2, 20_000, 'the first batch to be counted').catch((error) => {
      throw new Error(`${(error as Error).message}; the worker wrote:\n${[...worker.output.stdout, ...worker.output.stderr].slice(-30).join('\n')}`)
    })

    await redisServer.stop()
    // Long enough for every connection to notice and retry a few times.
    await new Promise((r) => setTimeout(r, 3000))
    redisServer = await startPrivateRedis({ dir, port, appendOnly: true })

    // The gateway's command connection reconnects on its own; the worker stores what it is sent.
    await eventually(
      async () => (await sendConversions(gateway, tenant, events(experiment.id, ['c', 'd', 'e']))).status === 202,
      10_000,
      'the gateway to accept a batch again',
    )
    await eventually(async () => (await counted(experiment.id)) >= 5, 20_000, 'a batch sent after the restart to be counted')
  } finally {
    worker.child.kill('SIGTERM')
    await exited(worker.child)
  }
  // Give the pipes a moment to deliver the last lines.
  await new Promise((r) => setTimeout(r, 100))
  expect(worker.output.notJson()).toEqual([])
  const lines = worker.output.lines()
  expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([])
  // The restart was noticed, and reported in the log.
  expect(lines.filter((l) => l.level === 40).length).toBeGreaterThan(0)
}, 60_000)
