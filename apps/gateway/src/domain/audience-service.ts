import { AudienceInUse, AudienceNotFound, ValidationFailed } from '@experiments/contracts'
import type { AudienceRow, DB } from '@experiments/db'
import type { AudienceView, CreateAudienceBody, ListAudiencesQuery, UpdateAudienceBody } from '@experiments/schemas'
import { validateConditions } from '@experiments/targeting'
import type { Kysely } from 'kysely'
import { audienceRepo } from './audience-repo.js'
import type { ExperimentService } from './experiment-service.js'
import { newId } from './ids.js'
import { pageMeta, pageWindow } from './paging.js'

type Deps = { db: Kysely<DB>; experiments: Pick<ExperimentService, 'republishUsersOf'> }

const toAudienceView = (row: AudienceRow): AudienceView => ({
  id: row.id,
  name: row.name,
  description: row.description,
  conditions: row.conditions,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
})

const checkConditions = (conditions: unknown) => {
  const problems = validateConditions(conditions).map((p) => ({ path: `/conditions${p.path}`, message: p.message }))
  if (problems.length) throw new ValidationFailed(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems)
}

/** Audiences: targeting conditions that experiments refer to by id. */
export const audienceService = ({ db, experiments }: Deps) => {
  const mustExist = async (trx: Kysely<DB>, tenantId: string, id: string, lock?: 'update') => {
    const row = await audienceRepo(trx).byId(tenantId, id, lock)
    if (!row) throw new AudienceNotFound(id)
    return row
  }

  return {
    create: async (tenantId: string, body: CreateAudienceBody) => {
      checkConditions(body.conditions)
      const row = await audienceRepo(db).insert({
        id: newId('aud'),
        tenant_id: tenantId,
        name: body.name,
        description: body.description ?? null,
        conditions: body.conditions,
      })
      return toAudienceView(row)
    },

    get: async (tenantId: string, id: string) => toAudienceView(await mustExist(db, tenantId, id)),

    list: async (tenantId: string, query: ListAudiencesQuery) => {
      const { page, limit, offset } = pageWindow(query)
      const { rows, total } = await audienceRepo(db).page(tenantId, offset, limit)
      return { data: rows.map(toAudienceView), meta: pageMeta(total, page, limit) }
    },

    /** Changed conditions reach running experiments at once: their configs are republished. */
    update: (tenantId: string, id: string, body: UpdateAudienceBody) =>
      db.transaction().execute(async (trx) => {
        if (body.conditions !== undefined) checkConditions(body.conditions)
        await mustExist(trx, tenantId, id, 'update')
        const row = await audienceRepo(trx).update(tenantId, id, body)
        if (body.conditions !== undefined) await experiments.republishUsersOf(trx, id)
        return toAudienceView(row)
      }),

    /** Deletes an audience no live experiment uses; a repeated delete changes nothing. */
    remove: (tenantId: string, id: string) =>
      db.transaction().execute(async (trx) => {
        const row = await audienceRepo(trx).byId(tenantId, id, 'update')
        if (!row) {
          const deleted = await trx.selectFrom('audiences').select('id').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
          if (deleted) return
          throw new AudienceNotFound(id)
        }
        const users = await audienceRepo(trx).usedBy(id)
        if (users.length) throw new AudienceInUse(id, users)
        await audienceRepo(trx).softDelete(tenantId, id)
      }),
  }
}
export type AudienceService = ReturnType<typeof audienceService>
