import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'

/** PostgreSQL access for SDK connections; every read and write is scoped by tenant. */
export const sdkConnectionRepo = (db: Kysely<DB>) => ({
  /** The tenant's connection, revoked or not, locked until commit. */
  lockById: (tenantId: string, id: string) =>
    db.selectFrom('sdk_connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst(),

  /** One page of the connections not revoked, newest first; ties on created_at are broken by id so pages never overlap. */
  page: async (tenantId: string, offset: number, limit: number) => {
    const base = db.selectFrom('sdk_connections').where('tenant_id', '=', tenantId).where('revoked_at', 'is', null)
    const [rows, { total }] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit).execute(),
      base.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
    ])
    return { rows, total }
  },

  insert: (row: { id: string; tenant_id: string; name: string; client_key: string }) =>
    db.insertInto('sdk_connections').values(row).returningAll().executeTakeFirstOrThrow(),

  revoke: (id: string) => db.updateTable('sdk_connections').set({ revoked_at: sql`now()` }).where('id', '=', id).execute(),
})
