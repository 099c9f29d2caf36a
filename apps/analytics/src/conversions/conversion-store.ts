import type { ConversionColumns } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'
import { foldIntoAggregates } from './aggregate-sql.js'

/**
 * The assignment of the user of row `row` (which has experiment_id and user_id), for a lateral join:
 * one index probe per row. As a plain join the planner hashed the whole assignments table (every
 * experiment's) on every statement, a cost that grew with the table, not with the batch.
 */
const assignmentOf = (row: string) =>
  sql`select a.variant_id, a.assigned_at from assignments a
    where a.experiment_id = ${sql.ref(`${row}.experiment_id`)} and a.user_id = ${sql.ref(`${row}.user_id`)}
    limit 1`

/** The events of one conversions job. */
export type JobEvents = { tenantId: string; events: ConversionColumns }

/**
 * Stores the events of one or more jobs and folds the rows actually inserted into the aggregates,
 * in one statement. Events are keyed by (tenant, eventId) with ON CONFLICT DO NOTHING, so a
 * retried or duplicated batch, or an eventId repeated within one, counts once. Each event is
 * attributed to its user's assignment as PostgreSQL has it now; one whose assignment has not
 * arrived yet waits as `not_assigned` and is moved over by `reattribute`. Returns the rows each job
 * inserted (an eventId in two of the jobs counts for the first).
 */
export const recordConversions = async (db: Kysely<DB>, jobs: JobEvents[]): Promise<number[]> => {
  const column = (key: keyof ConversionColumns): (string | number)[] => jobs.flatMap((job): (string | number)[] => job.events[key])
  const result = await sql<{ job: number; changed: number }>`
    with input as (
      select * from unnest(
        ${jobs.flatMap((job, i) => new Array<number>(job.events.eventIds.length).fill(i))}::int[],
        ${jobs.flatMap((job) => new Array<string>(job.events.eventIds.length).fill(job.tenantId))}::text[],
        ${column('eventIds')}::text[], ${column('experimentIds')}::text[], ${column('userIds')}::text[], ${column('metrics')}::text[],
        ${column('values')}::float8[], ${column('timestamps')}::timestamptz[]
      ) as t(job, tenant_id, event_id, experiment_id, user_id, metric, value, occurred_at)
    ), changed as (
      insert into conversions (tenant_id, event_id, experiment_id, user_id, metric, value, occurred_at, variant_id, attribution)
      select i.tenant_id, i.event_id, i.experiment_id, i.user_id, i.metric, i.value, i.occurred_at, a.variant_id,
        case when a.variant_id is null then 'not_assigned'
             when i.occurred_at < a.assigned_at then 'before_assignment'
             else 'attributed' end
      from input i
      left join lateral (${assignmentOf('i')}) a on true
      on conflict (tenant_id, event_id) do nothing
      returning tenant_id, event_id, experiment_id, user_id, metric, value, variant_id, attribution
    ) ${foldIntoAggregates(
      false,
      sql`select first.job, count(*)::int as changed from changed c
        join (select distinct on (tenant_id, event_id) tenant_id, event_id, job from input order by tenant_id, event_id, job) first
          on first.tenant_id = c.tenant_id and first.event_id = c.event_id
        group by first.job`,
    )}`.execute(db)
  const stored = new Array<number>(jobs.length).fill(0)
  for (const row of result.rows) stored[row.job] = row.changed
  return stored
}

/**
 * Attributes conversions that arrived before their user's assignment reached PostgreSQL: for the
 * given (experiment, user) pairs (the drain does this as it stores assignments), or, for the
 * re-attribution sweep (reattribution-sweep.ts), every waiting conversion received in
 * [`receivedFrom`, `receivedBefore`).
 */
export const reattribute = async (
  db: Kysely<DB>,
  scope: { pairs: { experimentId: string; userId: string }[] } | { receivedFrom: Date; receivedBefore: Date },
): Promise<number> => {
  if ('pairs' in scope && scope.pairs.length === 0) return 0
  // The waiting conversions to move, each with its user's assignment; index probes throughout, so
  // the cost follows the conversions moved, not the size of either table.
  const waiting =
    'pairs' in scope
      ? sql`select w.ctid as row_id, found.variant_id, found.assigned_at
          from (select distinct * from unnest(
            ${scope.pairs.map((p) => p.experimentId)}::text[], ${scope.pairs.map((p) => p.userId)}::text[])) as p(experiment_id, user_id)
          join conversions w on w.experiment_id = p.experiment_id and w.user_id = p.user_id and w.attribution = 'not_assigned'
          cross join lateral (${assignmentOf('w')}) found`
      : // By arrival (an index on received_at of waiting conversions).
        sql`select w.ctid as row_id, found.variant_id, found.assigned_at
          from conversions w
          cross join lateral (${assignmentOf('w')}) found
          where w.attribution = 'not_assigned' and w.received_at >= ${scope.receivedFrom} and w.received_at < ${scope.receivedBefore}`
  const result = await sql<{ changed: number }>`
    with changed as (
      update conversions c set
        variant_id = a.variant_id,
        attribution = case when c.occurred_at < a.assigned_at then 'before_assignment' else 'attributed' end
      from (${waiting}) a
      where c.ctid = a.row_id and c.attribution = 'not_assigned'
      returning c.experiment_id, c.user_id, c.metric, c.value, c.variant_id, c.attribution
    ) ${foldIntoAggregates(true)}`.execute(db)
  return result.rows[0]?.changed ?? 0
}
