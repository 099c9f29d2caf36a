import {
  ExperimentNotFound,
  IllegalTransition,
  NotInDraft,
  TRANSITIONS,
  ValidationFailed,
  type ConfigPublisher,
  type ErrorDetail,
  type LifecycleAction,
} from '@experiments/contracts'
import { assignmentConfigOf, type DB, type ExperimentRow } from '@experiments/db'
import { isStorableDateTime, type CreateExperimentBody, type ExperimentView, type ListExperimentsQuery, type UpdateExperimentBody } from '@experiments/schemas'
import type { Kysely } from 'kysely'
import { audienceRepo } from './audience-repo.js'
import type { ParticipantCounter } from './participant-counter.js'
import { experimentRepo, type VariantRecord } from './experiment-repo.js'
import { toExperimentView } from './experiment-view.js'
import { newId } from './ids.js'
import { pageMeta, pageWindow } from './paging.js'
import { toBasisPoints, variantProblems } from './variant-rules.js'

type Deps = { db: Kysely<DB>; publisher: ConfigPublisher; participants: ParticipantCounter; now?: () => Date }

type VariantInput = { id?: string; name: string; splitPercentage: number; flowId?: string | null; config?: Record<string, unknown> }

const toVariantRecords = (inputs: VariantInput[]): Omit<VariantRecord, 'experiment_id'>[] =>
  inputs.map((v, position) => ({
    id: v.id ?? newId('var'),
    position,
    name: v.name,
    split_basis_points: toBasisPoints(v.splitPercentage) as number,
    flow_id: v.flowId ?? null,
    config: v.config ?? {},
  }))

/** Experiments: CRUD, the lifecycle, and publishing each change to the assignment service. */
export const experimentService = ({ db, publisher, participants, now = () => new Date() }: Deps) => {
  const view = async (row: ExperimentRow, trx: Kysely<DB> = db): Promise<ExperimentView> => {
    const [variants, counts] = await Promise.all([experimentRepo(trx).variantsOf([row.id]), participants([row])])
    return toExperimentView(row, variants, counts.get(row.id) ?? 0)
  }

  const mustExist = async (trx: Kysely<DB>, tenantId: string, id: string, lock = false) => {
    const row = await experimentRepo(trx).byId(tenantId, id, { lock })
    if (!row) throw new ExperimentNotFound(id)
    return row
  }

  /** Checks the fields shared by create and update; the audience row is locked until commit. */
  const checkReferences = async (trx: Kysely<DB>, tenantId: string, body: { audienceId?: string | null; endDate?: string | null }) => {
    const problems: ErrorDetail[] = []
    if (body.endDate && !isStorableDateTime(body.endDate)) {
      problems.push({ path: '/endDate', message: 'endDate must be an ISO-8601 date-time that exists, of at most 40 characters (offsets up to ±15:59)' })
    } else if (body.endDate && new Date(body.endDate).getTime() <= now().getTime()) {
      problems.push({ path: '/endDate', message: 'endDate must be in the future' })
    }
    if (problems.length) throw new ValidationFailed(problems[0]!.message, problems)
    if (body.audienceId && !(await audienceRepo(trx).byId(tenantId, body.audienceId, 'share'))) {
      throw new ValidationFailed(`audience ${body.audienceId} does not exist`, [{ path: '/audienceId', message: `audience ${body.audienceId} does not exist` }])
    }
  }

  const rejectVariants = (problems: ErrorDetail[]) => {
    if (problems.length) throw new ValidationFailed(problems.map((p) => p.message).join('; '), problems)
  }

  /** Publishes the experiment's assignment config: full while it can assign, slim once completed or archived. */
  const announce = async (trx: Kysely<DB>, row: ExperimentRow) => publisher.publish(await assignmentConfigOf(trx, row))

  return {
    create: (tenantId: string, body: CreateExperimentBody) =>
      db.transaction().execute(async (trx) => {
        rejectVariants(variantProblems(body.variants))
        await checkReferences(trx, tenantId, body)
        const id = newId('exp')
        const row = await experimentRepo(trx).insert({
          id,
          tenant_id: tenantId,
          name: body.name,
          description: body.description ?? null,
          type: body.type ?? 'ab_test',
          status: 'draft',
          audience_id: body.audienceId ?? null,
          seed: body.seed ?? id,
          end_date: body.endDate ?? null,
        })
        await experimentRepo(trx).replaceVariants(id, toVariantRecords(body.variants))
        await announce(trx, row)
        return view(row, trx)
      }),

    get: async (tenantId: string, id: string) => view(await mustExist(db, tenantId, id)),

    list: async (tenantId: string, query: ListExperimentsQuery) => {
      const { page, limit, offset } = pageWindow(query)
      const { rows, total } = await experimentRepo(db).page(tenantId, query.status ? { status: query.status } : {}, offset, limit)
      const ids = rows.map((r) => r.id)
      const [variants, counts] = await Promise.all([experimentRepo(db).variantsOf(ids), participants(rows)])
      const byExperiment = new Map<string, VariantRecord[]>()
      for (const v of variants) byExperiment.set(v.experiment_id, [...(byExperiment.get(v.experiment_id) ?? []), v])
      return {
        data: rows.map((row) => toExperimentView(row, byExperiment.get(row.id) ?? [], counts.get(row.id) ?? 0)),
        meta: pageMeta(total, page, limit),
      }
    },

    update: (tenantId: string, id: string, body: UpdateExperimentBody) =>
      db.transaction().execute(async (trx) => {
        const current = await mustExist(trx, tenantId, id, true)
        if (current.status !== 'draft') throw new NotInDraft(id, current.status)
        if (body.variants) {
          const known = new Set((await experimentRepo(trx).variantsOf([id])).map((v) => v.id))
          rejectVariants(variantProblems(body.variants, known))
        }
        await checkReferences(trx, tenantId, body)
        const row = await experimentRepo(trx).update(tenantId, id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.audienceId !== undefined ? { audience_id: body.audienceId } : {}),
          ...(body.endDate !== undefined ? { end_date: body.endDate } : {}),
        })
        if (body.variants) await experimentRepo(trx).replaceVariants(id, toVariantRecords(body.variants))
        return view(row, trx)
      }),

    /** Archives from any status; archiving an archived experiment changes nothing. */
    archive: (tenantId: string, id: string) =>
      db.transaction().execute(async (trx) => {
        const current = await mustExist(trx, tenantId, id, true)
        if (current.status === 'archived') return view(current, trx)
        const row = await experimentRepo(trx).update(tenantId, id, { status: 'archived' })
        await announce(trx, row)
        return view(row, trx)
      }),

    /**
     * Runs a lifecycle action as one conditional UPDATE and publishes the result before the
     * transaction commits: if Redis cannot be reached, the status change is rolled back.
     */
    transition: (tenantId: string, id: string, action: LifecycleAction) =>
      db.transaction().execute(async (trx) => {
        const { from, to } = TRANSITIONS[action]
        const row = await experimentRepo(trx).transition(tenantId, id, from, to)
        if (!row) {
          const current = await mustExist(trx, tenantId, id)
          throw new IllegalTransition(id, action, current.status)
        }
        if (action === 'start' && row.end_date && row.end_date.getTime() <= now().getTime()) {
          throw new IllegalTransition(id, action, `past its endDate (${row.end_date.toISOString()})`)
        }
        await announce(trx, row)
        return view(row, trx)
      }),

    /** Republishes the configs of running and stopped experiments that use an audience whose conditions changed. */
    republishUsersOf: async (trx: Kysely<DB>, audienceId: string) => {
      for (const experimentId of await audienceRepo(trx).liveExperimentsUsing(audienceId)) {
        const row = await experimentRepo(trx).byIdAnyTenant(experimentId)
        if (row) await announce(trx, row)
      }
    },
  }
}
export type ExperimentService = ReturnType<typeof experimentService>
