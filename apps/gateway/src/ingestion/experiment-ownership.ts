import type { DB } from '@experiments/db'
import type { Kysely } from 'kysely'

const UNKNOWN_TTL_MS = 5000
const MAX_ENTRIES = 100_000

/**
 * Which tenant owns an experiment, cached: an experiment never changes tenant and is never deleted,
 * so a known owner is kept for good (up to MAX_ENTRIES); an unknown id is asked again after 5 s.
 */
export const experimentOwnership = (db: Kysely<DB>) => {
  const owners = new Map<string, string>()
  const unknownUntil = new Map<string, number>()

  /** The ids among `ids` that `tenantId` does not own (or that do not exist). */
  const notOwned = async (tenantId: string, ids: ReadonlySet<string>): Promise<Set<string>> => {
    const now = Date.now()
    const missing = new Set<string>()
    const toFetch: string[] = []
    for (const id of ids) {
      const owner = owners.get(id)
      if (owner !== undefined) {
        if (owner !== tenantId) missing.add(id)
      } else if ((unknownUntil.get(id) ?? 0) > now) {
        missing.add(id)
      } else {
        toFetch.push(id)
      }
    }
    if (toFetch.length > 0) {
      const rows = await db.selectFrom('experiments').select(['id', 'tenant_id']).where('id', 'in', toFetch).execute()
      if (owners.size + rows.length > MAX_ENTRIES) owners.clear()
      for (const row of rows) owners.set(row.id, row.tenant_id)
      for (const id of toFetch) {
        const owner = owners.get(id)
        if (owner === undefined) {
          if (unknownUntil.size >= MAX_ENTRIES) unknownUntil.clear()
          unknownUntil.set(id, now + UNKNOWN_TTL_MS)
        }
        if (owner !== tenantId) missing.add(id)
      }
    }
    return missing
  }
  return { notOwned }
}
export type ExperimentOwnership = ReturnType<typeof experimentOwnership>
