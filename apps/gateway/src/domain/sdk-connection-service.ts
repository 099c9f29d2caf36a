import { SdkConnectionNotFound } from '@experiments/contracts'
import type { DB, SdkConnectionRow } from '@experiments/db'
import type { CreateSdkConnectionBody, ListSdkConnectionsQuery, SdkConnectionView } from '@experiments/schemas'
import type { Kysely } from 'kysely'
import { newId } from './ids.js'
import { pageMeta, pageWindow } from './paging.js'
import { newClientKey, type ClientKeyRegistry } from './sdk-connection-keys.js'
import { sdkConnectionRepo } from './sdk-connection-repo.js'

type Deps = { db: Kysely<DB>; keys: ClientKeyRegistry }

const toSdkConnectionView = (row: SdkConnectionRow): SdkConnectionView => ({
  id: row.id,
  name: row.name,
  clientKey: row.client_key,
  createdAt: row.created_at.toISOString(),
})

/**
 * SDK connections: the client keys GrowthBook SDKs fetch a tenant's running experiments with.
 * Like an experiment's config, a key is written to Redis before its row commits: when Redis cannot
 * be reached the change is rolled back (a 503), so PostgreSQL never records a change Redis missed.
 */
export const sdkConnectionService = ({ db, keys }: Deps) => ({
  /**
   * A hash entry left by a create whose commit failed after the Redis write names a key no answer
   * ever carried: unguessable, so nothing can use it.
   */
  create: (tenantId: string, body: CreateSdkConnectionBody) =>
    db.transaction().execute(async (trx) => {
      const row = await sdkConnectionRepo(trx).insert({ id: newId('sdk'), tenant_id: tenantId, name: body.name, client_key: newClientKey() })
      await keys.add(row.client_key, tenantId)
      return toSdkConnectionView(row)
    }),

  list: async (tenantId: string, query: ListSdkConnectionsQuery) => {
    const { page, limit, offset } = pageWindow(query)
    const { rows, total } = await sdkConnectionRepo(db).page(tenantId, offset, limit)
    return { data: rows.map(toSdkConnectionView), meta: pageMeta(total, page, limit) }
  },

  /**
   * Revokes at once. A revocation that fails (a 503) leaves the connection listed, not revoked;
   * the retry completes it. Revoking a revoked connection removes its key from Redis again
   * and answers as the first time did, so a repeat can never leave a revoked key in Redis.
   */
  revoke: (tenantId: string, id: string) =>
    db.transaction().execute(async (trx) => {
      const row = await sdkConnectionRepo(trx).lockById(tenantId, id)
      if (!row) throw new SdkConnectionNotFound(id)
      if (!row.revoked_at) await sdkConnectionRepo(trx).revoke(id)
      await keys.remove(row.client_key)
    }),
})
export type SdkConnectionService = ReturnType<typeof sdkConnectionService>
