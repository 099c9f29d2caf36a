import { finalConfig, isFinal, type AssignmentConfig } from '@experiments/contracts'
import type { Kysely } from 'kysely'
import type { DB, ExperimentRow } from './types.js'

/**
 * What the assignment service is told about `row`, read from PostgreSQL: the full config while it
 * may assign, the slim final one once completed or archived. The gateway publishes it on every
 * change; the analytics worker republishes it when Redis lost it.
 */
export const assignmentConfigOf = async (db: Kysely<DB>, row: ExperimentRow): Promise<AssignmentConfig> => {
  const version = row.updated_at.getTime()
  if (isFinal(row.status)) {
    return finalConfig({ id: row.id, tenantId: row.tenant_id, seed: row.seed, status: row.status, version })
  }
  const [variants, audience] = await Promise.all([
    db.selectFrom('variants').selectAll().where('experiment_id', '=', row.id).orderBy('position').execute(),
    row.audience_id ? db.selectFrom('audiences').select(['id', 'conditions']).where('id', '=', row.audience_id).executeTakeFirst() : undefined,
  ])
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    seed: row.seed,
    status: row.status,
    variants: variants.map((v) => ({
      id: v.id,
      name: v.name,
      flowId: v.flow_id,
      config: v.config as Record<string, unknown>,
      splitPercentage: v.split_basis_points / 100,
    })),
    audience: audience ? { id: audience.id, conditions: audience.conditions as Record<string, unknown> } : null,
    version,
  }
}
