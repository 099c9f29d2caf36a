import type { ConversionColumns } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'
import { foldIntoAggregates } from './aggregate-sql.js'

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
      left join assignments a on a.experiment_id = i.experiment_id and a.user_id = i.user_id
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
 * given (experiment, user) pairs (the drain does this as it stores assignments), or, as a sweep for
 * the rare race between the two, for up to `limit` waiting conversions received in the last
 * `withinSeconds`.
 */
export const reattribute = async (
  db: Kysely<DB>,
  scope: { pairs: { experimentId: string; userId: string }[] } | { limit: number; withinSeconds: number },
): Promise<number> => {
  const filter =
    'pairs' in scope
      ? sql`(c.experiment_id, c.user_id) in (select * from unnest(
          ${scope.pairs.map((p) => p.experimentId)}::text[], ${scope.pairs.map((p) => p.userId)}::text[]))`
      : // A probe of the assignment per recent waiting conversion (the LIMIT keeps the planner from
        // turning it into a join that reads every assignment): the cost follows recent traffic, not
        // the size of the assignments table.
        sql`c.ctid in (select w.ctid from conversions w
          join lateral (select 1 from assignments wa where wa.experiment_id = w.experiment_id and wa.user_id = w.user_id limit 1) found on true
          where w.attribution = 'not_assigned' and w.received_at > now() - make_interval(secs => ${scope.withinSeconds})
          limit ${scope.limit})`
  if ('pairs' in scope && scope.pairs.length === 0) return 0
  const result = await sql<{ changed: number }>`
    with changed as (
      update conversions c set
        variant_id = a.variant_id,
        attribution = case when c.occurred_at < a.assigned_at then 'before_assignment' else 'attributed' end
      from assignments a
      where c.attribution = 'not_assigned' and a.experiment_id = c.experiment_id and a.user_id = c.user_id and ${filter}
      returning c.experiment_id, c.user_id, c.metric, c.value, c.variant_id, c.attribution
    ) ${foldIntoAggregates(true)}`.execute(db)
  return result.rows[0]?.changed ?? 0
}
