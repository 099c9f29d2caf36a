import type { ExperimentStatus } from '@experiments/contracts'
import type { DB, ExperimentRow, NewExperiment, VariantRow } from '@experiments/db'
import { sql, type Kysely, type Updateable } from 'kysely'

export type VariantRecord = Omit<VariantRow, 'config'> & { config: Record<string, unknown> }

/** PostgreSQL access for experiments and their variants; every read and write is scoped by tenant. */
export const experimentRepo = (db: Kysely<DB>) => ({
  byId: (tenantId: string, id: string, options: { lock?: boolean } = {}) => {
    let query = db.selectFrom('experiments').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id)
    if (options.lock) query = query.forUpdate()
    return query.executeTakeFirst()
  },

  byIdAnyTenant: (id: string) => db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst(),

  /** One page, newest first; ties on created_at are broken by id so pages never overlap. */
  page: async (tenantId: string, filter: { status?: ExperimentStatus }, offset: number, limit: number) => {
    let base = db.selectFrom('experiments').where('tenant_id', '=', tenantId)
    base = filter.status ? base.where('status', '=', filter.status) : base.where('status', '<>', 'archived')
    const [rows, { total }] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit).execute(),
      base.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
    ])
    return { rows, total }
  },

  variantsOf: async (experimentIds: string[]): Promise<VariantRecord[]> => {
    if (experimentIds.length === 0) return []
    return db.selectFrom('variants').selectAll().where('experiment_id', 'in', experimentIds).orderBy('experiment_id').orderBy('position').execute() as Promise<
      VariantRecord[]
    >
  },

  insert: (row: NewExperiment) => db.insertInto('experiments').values(row).returningAll().executeTakeFirstOrThrow(),

  update: (tenantId: string, id: string, changes: Updateable<DB['experiments']>) =>
    db
      .updateTable('experiments')
      .set({ ...changes, updated_at: sql`now()` })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),

  /**
   * Moves the experiment to `to` only if its status is one of `from`: one conditional UPDATE, so of
   * concurrent callers exactly one wins. Returns undefined when the status did not allow it.
   */
  transition: (tenantId: string, id: string, from: readonly ExperimentStatus[], to: ExperimentStatus): Promise<ExperimentRow | undefined> =>
    db
      .updateTable('experiments')
      .set({
        status: to,
        updated_at: sql`now()`,
        ...(to === 'running' ? { start_date: sql`coalesce(start_date, now())` } : {}),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst(),

  replaceVariants: async (experimentId: string, variants: Omit<VariantRecord, 'experiment_id'>[]) => {
    await db.deleteFrom('variants').where('experiment_id', '=', experimentId).execute()
    await db
      .insertInto('variants')
      .values(variants.map((v) => ({ ...v, experiment_id: experimentId, config: JSON.stringify(v.config) })))
      .execute()
  },
})
export type ExperimentRepo = ReturnType<typeof experimentRepo>
