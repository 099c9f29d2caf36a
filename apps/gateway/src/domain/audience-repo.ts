import { LIVE_STATUSES } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'

/** PostgreSQL access for audiences; deleted audiences are invisible to every read here. */
export const audienceRepo = (db: Kysely<DB>) => ({
  byId: (tenantId: string, id: string, lock?: 'share' | 'update') => {
    let query = db.selectFrom('audiences').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).where('deleted_at', 'is', null)
    if (lock === 'share') query = query.forShare()
    if (lock === 'update') query = query.forUpdate()
    return query.executeTakeFirst()
  },

  /** Audience rows by id regardless of tenant or deletion: for publishing configs of experiments that use them. */
  page: async (tenantId: string, offset: number, limit: number) => {
    const base = db.selectFrom('audiences').where('tenant_id', '=', tenantId).where('deleted_at', 'is', null)
    const [rows, { total }] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit).execute(),
      base.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
    ])
    return { rows, total }
  },

  insert: (row: { id: string; tenant_id: string; name: string; description: string | null; conditions: Record<string, unknown> }) =>
    db
      .insertInto('audiences')
      .values({ ...row, conditions: JSON.stringify(row.conditions) })
      .returningAll()
      .executeTakeFirstOrThrow(),

  update: (tenantId: string, id: string, changes: { name?: string; description?: string | null; conditions?: Record<string, unknown> }) =>
    db
      .updateTable('audiences')
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.conditions !== undefined ? { conditions: JSON.stringify(changes.conditions) } : {}),
        updated_at: sql`now()`,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),

  softDelete: (tenantId: string, id: string) =>
    db.updateTable('audiences').set({ deleted_at: sql`now()` }).where('tenant_id', '=', tenantId).where('id', '=', id).execute(),

  /** Ids of experiments that still use the audience: every status but archived. */
  usedBy: async (audienceId: string) =>
    (await db.selectFrom('experiments').select('id').where('audience_id', '=', audienceId).where('status', '<>', 'archived').execute()).map((r) => r.id),

  /** Ids of running or stopped experiments using the audience, whose published config embeds its conditions. */
  liveExperimentsUsing: async (audienceId: string) =>
    (await db.selectFrom('experiments').select('id').where('audience_id', '=', audienceId).where('status', 'in', LIVE_STATUSES).execute()).map((r) => r.id),
})
export type AudienceRepo = ReturnType<typeof audienceRepo>
