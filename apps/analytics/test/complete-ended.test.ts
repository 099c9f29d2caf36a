import { configPublisher, redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, connectDb } from '../../../test-support/connections.js'
import { runningExperiment, startGateway } from '../../../test-support/services.js'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { completeEndedExperiments } from '../src/maintenance/complete-ended.js'

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
})
afterAll(async () => {
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

describe('completeEndedExperiments', () => {
  it('completes experiments whose endDate has passed, withdraws their config and stores a final snapshot', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50], { endDate: new Date(Date.now() + 60_000).toISOString() })
    const notYet = await runningExperiment(gateway, tenant, [50, 50], { endDate: new Date(Date.now() + 3_600_000).toISOString() })
    await db
      .updateTable('experiments')
      .set({ end_date: new Date(Date.now() - 1000) })
      .where('id', '=', experiment.id)
      .execute()
    const completed = await completeEndedExperiments({ db, publisher: configPublisher(redis) })
    expect(completed).toContain(experiment.id)
    expect(completed).not.toContain(notYet.id)
    expect(await redis.get(redisKeys.status(experiment.id))).toBe('completed')
    const view = await gateway.inject({ method: 'GET', url: `/api/experiments/${experiment.id}`, headers: bearer(tenant) })
    expect(view.json().data.status).toBe('completed')
    const snapshots = await gateway.inject({ method: 'GET', url: `/api/experiments/${experiment.id}/snapshots`, headers: bearer(tenant) })
    expect(snapshots.json().meta.total).toBe(1)
    expect(await completeEndedExperiments({ db, publisher: configPublisher(redis) })).not.toContain(experiment.id)
  })
})
