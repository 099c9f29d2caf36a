import type { DB } from '@experiments/db'
import type { Kysely } from 'kysely'

/** Per-variant figures of one metric, from the maintained aggregates (never a scan of raw events). */
export const metricInputs = async (db: Kysely<DB>, experimentId: string, metric: string) => {
  const rows = await db
    .selectFrom('variants as v')
    .leftJoin('variant_participants as p', (join) => join.onRef('p.experiment_id', '=', 'v.experiment_id').onRef('p.variant_id', '=', 'v.id'))
    .leftJoin('metric_aggregates as m', (join) =>
      join.onRef('m.experiment_id', '=', 'v.experiment_id').onRef('m.variant_id', '=', 'v.id').on('m.metric', '=', metric),
    )
    .select(['v.id', 'v.name', 'v.split_basis_points', 'p.participants', 'm.converters'])
    .where('v.experiment_id', '=', experimentId)
    .orderBy('v.position')
    .execute()
  return rows.map((r) => ({
    variantId: r.id,
    variantName: r.name,
    splitPercentage: r.split_basis_points / 100,
    sampleSize: r.participants ?? 0,
    conversions: r.converters ?? 0,
  }))
}
