import { conversionColumns, toConversionJob, type ConversionColumns } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, connectDb } from '../../../test-support/connections.js'
import { events } from '../../../test-support/conversions.js'
import { analytics, callGateway, runningExperiment, startGateway } from '../../../test-support/services.js'
import { aTenant } from '../../../test-support/tokens.js'
import { recordConversions } from '../src/conversions/conversion-store.js'
import { sweepWaitingConversions } from '../src/conversions/reattribution-sweep.js'

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

const api = (method: 'GET' | 'POST', url: string, payload?: object) => callGateway(gateway, tenant, method, url, payload)

describe('sweepWaitingConversions', () => {
  it("the sweep attributes a conversion stored in a transaction that overlapped its assignment's (the race), once that transaction has ended", async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const [event] = events(experiment.id, ['racer'])
    const variantId = experiment.variants[0]!.id
    const job = { tenantId: tenant, events: toConversionJob(tenant, [event!], { metric: 'conversion', value: 1, timestamp: new Date().toISOString() }) }
    const attribution = async () =>
      (await db.selectFrom('conversions').select('attribution').where('tenant_id', '=', tenant).where('event_id', '=', event!.eventId).executeTakeFirst())
        ?.attribution
    // The race for real: the conversion's transaction stores it as not assigned and stays open while
    // the drain's transaction stores the assignment and re-attributes; neither sees the other.
    let commit!: () => void
    const held = new Promise<void>((resolve) => (commit = resolve))
    let stored!: () => void
    const insertedInOpenTransaction = new Promise<void>((resolve) => (stored = resolve))
    const conversion = db.transaction().execute(async (trx) => {
      await recordConversions(trx, [{ tenantId: tenant, events: conversionColumns(job.events) as ConversionColumns }])
      stored()
      await held
    })
    await insertedInOpenTransaction
    await analytics(db, redis).store.record([{ experimentId: experiment.id, userId: 'racer', variantId, assignedAt: new Date(Date.now() - 60_000) }])
    // Swept while the conversion's transaction is open: the sweep must not pass it by.
    await sweepWaitingConversions(db, { settleSeconds: 0 })
    commit()
    await conversion
    expect(await attribution()).toBe('not_assigned')

    await sweepWaitingConversions(db, { settleSeconds: 0 })
    expect(await attribution()).toBe('attributed')
    const { body } = await api('GET', `/api/experiments/${experiment.id}/results`)
    expect(body.data.variants[0].results).toEqual([{ metric: 'conversion', conversions: 1, events: 1, totalValue: 1 }])
    expect(body.data.unattributed).toEqual([{ metric: 'conversion', notAssigned: 0, beforeAssignment: 0 }])
  })
})
