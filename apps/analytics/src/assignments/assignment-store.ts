import { FINAL_STATUSES, LIVE_STATUSES } from '@experiments/contracts'
import { assignmentConfigOf, type DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'
import { reattribute } from '../conversions/conversion-store.js'

export type NewAssignment = { experimentId: string; userId: string; variantId: string; assignedAt: Date }

/**
 * PostgreSQL side of assignments. `record` inserts a batch and bumps the per-variant participant
 * counts by the rows actually inserted (a batch delivered twice counts once) and, in the same
 * transaction, attributes conversions that arrived before these assignments.
 */
export const assignmentStore = (db: Kysely<DB>) => ({
  record: async (rows: NewAssignment[]): Promise<number> => {
    if (rows.length === 0) return 0
    return db.transaction().execute(async (trx) => {
      const inserted = await insertAssignments(trx, rows)
      await reattribute(trx, { pairs: rows.map((r) => ({ experimentId: r.experimentId, userId: r.userId })) })
      return inserted
    })
  },

  participantsByVariant: async (experimentId: string): Promise<Map<string, number>> => {
    const rows = await db.selectFrom('variant_participants').select(['variant_id', 'participants']).where('experiment_id', '=', experimentId).execute()
    return new Map(rows.map((r) => [r.variant_id, r.participants]))
  },

  /**
   * Assignments of one experiment in user id order, a page at a time (keyset pagination), each with
   * its variant's position among the experiment's variants (0-based, the order of the published config).
   */
  pageAfter: async (experimentId: string, afterUserId: string, limit: number) =>
    (
      await sql<{ user_id: string; position: number }>`
        select a.user_id, v.position from assignments a
        join (select id, (row_number() over (order by position) - 1)::int as position from variants where experiment_id = ${experimentId}) v
          on v.id = a.variant_id
        where a.experiment_id = ${experimentId} and a.user_id > ${afterUserId}
        order by a.user_id
        limit ${limit}`.execute(db)
    ).rows,

  /** Running and stopped experiments, each with its participants as PostgreSQL has them. */
  liveParticipants: async () =>
    (
      await sql<{ id: string; participants: number }>`
        select e.id, coalesce(sum(p.participants), 0)::int as participants
        from experiments e left join variant_participants p on p.experiment_id = e.id
        where e.status in (${sql.join(LIVE_STATUSES)})
        group by e.id`.execute(db)
    ).rows,

  /** Drafts and running and stopped experiments: those whose status may still change. */
  unfinishedStatuses: () => db.selectFrom('experiments').select(['id', 'status', 'updated_at']).where('status', 'not in', FINAL_STATUSES).execute(),

  /** Experiments that cannot assign (draft, completed, archived), in id order, a page at a time. */
  idleExperimentsAfter: (afterId: string, limit: number) =>
    db.selectFrom('experiments').selectAll().where('status', 'not in', LIVE_STATUSES).where('id', '>', afterId).orderBy('id').limit(limit).execute(),

  /** The assignment config PostgreSQL holds for the experiment, or undefined when it does not exist. */
  configOf: async (experimentId: string) => {
    const row = await db.selectFrom('experiments').selectAll().where('id', '=', experimentId).executeTakeFirst()
    return row && assignmentConfigOf(db, row)
  },
})
export type AssignmentStore = ReturnType<typeof assignmentStore>

/** One statement: insert the batch, then add the rows actually inserted to variant_participants. */
const insertAssignments = async (db: Kysely<DB>, rows: NewAssignment[]) => {
  const result = await sql<{ inserted: number }>`
    with inserted as (
      insert into assignments (experiment_id, user_id, variant_id, assigned_at)
      select * from unnest(
        ${rows.map((r) => r.experimentId)}::text[], ${rows.map((r) => r.userId)}::text[],
        ${rows.map((r) => r.variantId)}::text[], ${rows.map((r) => r.assignedAt.toISOString())}::timestamptz[])
      on conflict do nothing
      returning experiment_id, variant_id
    ), counted as (
      select experiment_id, variant_id, count(*) as n from inserted group by experiment_id, variant_id
    ), bumped as (
      insert into variant_participants (experiment_id, variant_id, participants)
      select experiment_id, variant_id, n from counted
      on conflict (experiment_id, variant_id)
      do update set participants = variant_participants.participants + excluded.participants, updated_at = now()
      returning 1
    )
    select coalesce(sum(n), 0)::int as inserted from counted`.execute(db)
  return result.rows[0]?.inserted ?? 0
}
