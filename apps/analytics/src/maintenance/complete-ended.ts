import { DEFAULT_CONFIDENCE_LEVEL, DEFAULT_METRIC, finalConfig, TRANSITIONS, type ConfigPublisher } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'
import { computeResults } from '../results/compute.js'

/**
 * Completes every running or stopped experiment whose endDate has passed: one conditional UPDATE
 * (so two workers never complete one twice), then withdraws its assignment config and stores a
 * final snapshot of the default metric.
 */
export const completeEndedExperiments = async ({ db, publisher }: { db: Kysely<DB>; publisher: ConfigPublisher }) => {
  const { from, to } = TRANSITIONS.complete
  // Published before commit, as the gateway does: if Redis is unreachable, nothing changes.
  const ended = await db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('experiments')
      .set({ status: to, updated_at: sql`now()` })
      .where('status', 'in', from)
      .where('end_date', '<=', sql<Date>`now()`)
      .returningAll()
      .execute()
    for (const row of rows) {
      await publisher.publish(finalConfig({ id: row.id, tenantId: row.tenant_id, seed: row.seed, status: to, version: row.updated_at.getTime() }))
    }
    return rows
  })
  for (const row of ended) {
    await computeResults(db, { experimentId: row.id, metric: DEFAULT_METRIC, confidenceLevel: DEFAULT_CONFIDENCE_LEVEL, controlVariantId: null })
  }
  return ended.map((row) => row.id)
}
