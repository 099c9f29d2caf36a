import { spawn } from 'node:child_process'
import { redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisEnvOf, testDatabaseUrl } from '../../test-support/context.js'
import { aTenant, bearer } from '../../test-support/tokens.js'
import {
  assign,
  connect,
  connectDb,
  eventually,
  exited,
  inParallel,
  runningExperiment,
  spawnService,
  startGateway,
  startReplica,
  type Assignment,
  type Replica,
} from './system.js'

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
  replica = await startReplica()
})
afterAll(async () => {
  await replica.close()
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

const pgRows = async (experimentId: string) =>
  (await db.selectFrom('assignments').select(db.fn.countAll<number>().as('n')).where('experiment_id', '=', experimentId).executeTakeFirstOrThrow()).n
const pgParticipants = async (experimentId: string) =>
  (await db.selectFrom('variant_participants').select(['variant_id', 'participants']).where('experiment_id', '=', experimentId).execute()).reduce(
    (sum, r) => sum + r.participants,
    0,
  )
const redisCount = async (experimentId: string) => Object.values(await redis.hgetall(redisKeys.counts(experimentId))).reduce((sum, n) => sum + Number(n), 0)

const worker = () => spawnService('apps/analytics/dist/main.js', { STREAM_CLAIM_IDLE_MS: '500' })

describe('assignment durability', () => {
  it('loses and double counts nothing when the analytics worker is killed with SIGKILL mid-drain', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const first = await worker()
    const users = Array.from({ length: 6000 }, (_, i) => `kill-${i}`)
    const answers: Assignment[] = []
    let killed = false
    await inParallel(users, 40, async (u) => {
      answers.push(await assign(replica, tenant, experiment.id, u))
      if (!killed && answers.length === 2500) {
        killed = true
        first.child.kill('SIGKILL')
      }
    })
    expect(killed).toBe(true)
    const assigned = answers.filter((a) => a.reason === 'assigned').length
    expect(assigned).toBe(6000)
    const restarted = await worker()
    try {
      await eventually(async () => (await pgRows(experiment.id)) === assigned, 30_000, 'PostgreSQL to hold every assignment')
      // Give a duplicate delivery time to show up, then compare every count.
      await new Promise((r) => setTimeout(r, 1000))
      expect(await pgRows(experiment.id)).toBe(assigned)
      expect(await pgParticipants(experiment.id)).toBe(assigned)
      expect(await redisCount(experiment.id)).toBe(assigned)
    } finally {
      restarted.child.kill('SIGTERM')
    }
  }, 60_000)

  it("rebuilds an experiment's sticky map and counts from PostgreSQL after its Redis keys are flushed", async () => {
    const experiment = await runningExperiment(gateway, tenant, [30, 70])
    const users = Array.from({ length: 500 }, (_, i) => `flush-${i}`)
    const before = await inParallel(users, 50, (u) => assign(replica, tenant, experiment.id, u))
    const { child } = await worker()
    try {
      await eventually(async () => (await pgRows(experiment.id)) === 500, 20_000, 'the drain')
    } finally {
      child.kill('SIGTERM')
      await exited(child)
    }
    const keys = ['status', 'assignments', 'counts', 'assignmentStream'] as const
    await redis.del(...keys.map((k) => redisKeys[k](experiment.id)))

    const cli = spawn(process.execPath, ['apps/analytics/dist/rebuild-cli.js', experiment.id], {
      env: { ...process.env, DATABASE_URL: testDatabaseUrl(), ...redisEnvOf(), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    cli.stdout!.on('data', (chunk) => (output += chunk))
    await exited(cli)
    expect(cli.exitCode).toBe(0)
    expect(output).toContain(`${experiment.id}: rebuilt`)

    expect(await redisCount(experiment.id)).toBe(500)
    const after = await inParallel(users, 50, (u) => assign(replica, tenant, experiment.id, u))
    expect(after.map((a) => a.variant?.id)).toEqual(before.map((a) => a.variant?.id))
    expect(after.every((a) => a.reason === 'existing')).toBe(true)
    const fresh = await assign(replica, tenant, experiment.id, 'after-rebuild')
    expect(fresh.reason).toBe('assigned')
    const view = await gateway.inject({ method: 'GET', url: `/api/experiments/${experiment.id}`, headers: bearer(tenant) })
    expect(view.json().data._count.assignments).toBe(501)
  }, 60_000)
})
