import { ExperimentNotFound, ValidationFailed } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { experimentRepo } from './experiment-repo.js'
import { exposureMismatchCounter } from './exposure-mismatch-counter.js'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

/**
 * Raw results and snapshots, read from the aggregates the analytics worker maintains in PostgreSQL,
 * and the exposure mismatches the assignment service counts in `redis`.
 */
export const resultsReader = (db: Kysely<DB>, redis: RedisClient) => {
  const exposureMismatchesOf = exposureMismatchCounter(redis)
  const mustExist = async (tenantId: string, id: string) => {
    const row = await experimentRepo(db).byId(tenantId, id)
    if (!row) throw new ExperimentNotFound(id)
    return row
  }

  return {
    mustExist,

    /** Throws a 400 naming `path` unless `variantId` is a variant of the experiment. */
    mustBeVariant: async (experimentId: string, variantId: string, path: string) => {
      const variants = await experimentRepo(db).variantsOf([experimentId])
      if (!variants.some((v) => v.id === variantId)) {
        throw new ValidationFailed(`${variantId} is not a variant of experiment ${experimentId}`, [
          { path, message: `${variantId} is not a variant of this experiment` },
        ])
      }
    },

    raw: async (tenantId: string, experimentId: string) => {
      const experiment = await mustExist(tenantId, experimentId)
      const [variants, participants, metrics, unattributed, mismatches] = await Promise.all([
        experimentRepo(db).variantsOf([experimentId]),
        db.selectFrom('variant_participants').select(['variant_id', 'participants']).where('experiment_id', '=', experimentId).execute(),
        db
          .selectFrom('metric_aggregates')
          .select(['variant_id', 'metric', 'converters', 'events', 'value_sum'])
          .where('experiment_id', '=', experimentId)
          .orderBy('metric')
          .execute(),
        db
          .selectFrom('unattributed_aggregates')
          .select(['metric', 'not_assigned', 'before_assignment'])
          .where('experiment_id', '=', experimentId)
          .orderBy('metric')
          .execute(),
        exposureMismatchesOf(experimentId),
      ])
      const participantsOf = new Map(participants.map((p) => [p.variant_id, p.participants]))
      return {
        experimentId,
        name: experiment.name,
        status: experiment.status,
        startDate: iso(experiment.start_date),
        endDate: iso(experiment.end_date),
        variants: variants.map((v) => ({
          variantId: v.id,
          variantName: v.name,
          splitPercentage: v.split_basis_points / 100,
          participants: participantsOf.get(v.id) ?? 0,
          results: metrics
            .filter((m) => m.variant_id === v.id)
            .map((m) => ({ metric: m.metric, conversions: m.converters, events: m.events, totalValue: m.value_sum })),
        })),
        unattributed: unattributed.map((u) => ({ metric: u.metric, notAssigned: u.not_assigned, beforeAssignment: u.before_assignment })),
        ...mismatches,
      }
    },

    snapshots: async (tenantId: string, experimentId: string, offset: number, limit: number) => {
      await mustExist(tenantId, experimentId)
      const base = db.selectFrom('result_snapshots').where('experiment_id', '=', experimentId)
      const [rows, { total }] = await Promise.all([
        base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit).execute(),
        base.select(db.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ])
      return {
        rows: rows.map((r) => ({
          id: r.id,
          experimentId: r.experiment_id,
          createdAt: r.created_at.toISOString(),
          metric: r.metric,
          options: r.options,
          inputs: r.inputs,
          method: r.method,
          engineVersion: r.engine_version,
          result: r.result,
        })),
        total: Number(total),
      }
    },
  }
}
export type ResultsReader = ReturnType<typeof resultsReader>
