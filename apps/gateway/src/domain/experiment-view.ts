import type { ExperimentRow } from '@experiments/db'
import type { ExperimentView } from '@experiments/schemas'
import type { VariantRecord } from './experiment-repo.js'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

/** The API's shape of an experiment: camelCase, ISO-8601 UTC timestamps, splits in percent. */
export const toExperimentView = (row: ExperimentRow, variants: VariantRecord[], assignments: number): ExperimentView => ({
  id: row.id,
  name: row.name,
  description: row.description,
  type: row.type,
  status: row.status,
  audienceId: row.audience_id,
  seed: row.seed,
  startDate: iso(row.start_date),
  endDate: iso(row.end_date),
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  variants: variants.map((v) => ({
    id: v.id,
    name: v.name,
    splitPercentage: v.split_basis_points / 100,
    flowId: v.flow_id,
    config: v.config,
  })),
  _count: { assignments },
})
