import { redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../test-support/tokens.js'
import { analytics, assign, callGateway, connect, connectDb, eventually, runningExperiment, startGateway, startReplica, type Replica } from './system.js'

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
let drain: ReturnType<typeof analytics>['drain']
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
  replica = await startReplica()
  drain = analytics(db, redis).drain
  drain.start()
})
afterAll(async () => {
  await drain.stop()
  await replica.close()
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

const expose = async (exposures: { experimentId: string; userId: string; variantId: string; timestamp?: string }[]) => {
  const response = await replica.app.inject({ method: 'POST', url: '/api/exposures', headers: bearer(tenant, 'assignments:write'), payload: { exposures } })
  return { status: response.statusCode, body: response.json() }
}
const storedAssignments = (experimentId: string) =>
  db.selectFrom('assignments').select(['user_id', 'variant_id', 'assigned_at']).where('experiment_id', '=', experimentId).orderBy('user_id').execute()

describe('exposures through the system', () => {
  it('records exposures as assignments: drained into PostgreSQL, counted in results, mismatches shown', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const [a, b] = experiment.variants.map((v) => v.id) as [string, string]
    const hashed = await assign(replica, tenant, experiment.id, 'hashed')
    const other = hashed.variant!.id === a ? b : a
    const seenAt = '2026-01-02T03:04:05.000Z'
    const sent = await expose([
      { experimentId: experiment.id, userId: 'sdk-1', variantId: a, timestamp: seenAt },
      { experimentId: experiment.id, userId: 'sdk-2', variantId: b },
      { experimentId: experiment.id, userId: 'sdk-3', variantId: b },
      { experimentId: experiment.id, userId: 'sdk-3', variantId: b },
      { experimentId: experiment.id, userId: 'hashed', variantId: other },
    ])
    expect(sent).toEqual({ status: 202, body: { data: { accepted: 5, assigned: 3, existing: 1, mismatches: 1, enrollmentClosed: 0 } } })
    // Sent again, as an SDK retrying would: nothing more is counted.
    expect((await expose([{ experimentId: experiment.id, userId: 'hashed', variantId: other }])).body.data.mismatches).toBe(1)

    await eventually(async () => (await storedAssignments(experiment.id)).length === 4, 10_000, 'assignments drained')
    const stored = await storedAssignments(experiment.id)
    expect(stored.map((row) => [row.user_id, row.variant_id])).toEqual([
      ['hashed', hashed.variant!.id],
      ['sdk-1', a],
      ['sdk-2', b],
      ['sdk-3', b],
    ])
    expect(stored[1]!.assigned_at.toISOString()).toBe(seenAt)

    const { status, body } = await callGateway(gateway, tenant, 'GET', `/api/experiments/${experiment.id}/results`)
    expect(status).toBe(200)
    const participants = Object.fromEntries(body.data.variants.map((v: { variantId: string; participants: number }) => [v.variantId, v.participants]))
    expect(participants).toEqual({ [a]: 1 + (hashed.variant!.id === a ? 1 : 0), [b]: 2 + (hashed.variant!.id === b ? 1 : 0) })
    expect(body.data.exposureMismatches).toBe(1)
    expect(await assign(replica, tenant, experiment.id, 'sdk-1')).toMatchObject({ reason: 'existing', variant: { id: a } })
  })

  it('takes exposures of a stopped experiment for users already in it only', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const [a] = experiment.variants.map((v) => v.id) as [string, string]
    expect((await expose([{ experimentId: experiment.id, userId: 'early', variantId: a }])).status).toBe(202)
    expect((await callGateway(gateway, tenant, 'POST', `/api/experiments/${experiment.id}/stop`)).status).toBe(200)
    const answer = await expose([
      { experimentId: experiment.id, userId: 'early', variantId: a },
      { experimentId: experiment.id, userId: 'late', variantId: a },
    ])
    expect(answer.body.data).toEqual({ accepted: 2, assigned: 0, existing: 1, mismatches: 0, enrollmentClosed: 1 })
    expect(await redis.hexists(redisKeys.assignments(experiment.id), 'late')).toBe(0)
  })

  it('refuses exposures of a completed experiment, naming the exposure', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    expect((await callGateway(gateway, tenant, 'POST', `/api/experiments/${experiment.id}/complete`)).status).toBe(200)
    const exposures = [{ experimentId: experiment.id, userId: 'after', variantId: experiment.variants[0]!.id }]
    // Until the replica hears of the completion the script refuses the user instead (enrollmentClosed): nothing is recorded either way.
    await eventually(async () => (await expose(exposures)).status === 400, 5000, 'the replica heard of the completion')
    const answer = await expose(exposures)
    expect(answer.body.error.details).toEqual([
      {
        index: 0,
        path: '/exposures/0/experimentId',
        message: `experiment ${experiment.id} is completed: exposures are taken only while it is running or stopped`,
      },
    ])
    expect(await redis.hexists(redisKeys.assignments(experiment.id), 'after')).toBe(0)
  })
})
