import { sql, type RawBuilder } from 'kysely'

/**
 * The tail of a statement whose CTE `changed(experiment_id, user_id, metric, value, variant_id,
 * attribution)` holds conversions that just got their attribution: newly inserted ones, or ones
 * moved out of `not_assigned` (`leftNotAssigned`). It folds exactly those rows into the
 * aggregates, in the same statement, so the aggregates move only with rows that really changed.
 *
 *  - metric_aggregates: events, converters (a user's first attributed conversion of a metric in an
 *    experiment, via the `converters` table), value sum and sum of squares, per variant and metric;
 *  - unattributed_aggregates: events not (yet) attributed, per metric.
 *
 * `result` is the statement's final select; by default the number of changed rows.
 */
export const foldIntoAggregates = (leftNotAssigned: boolean, result = sql`select count(*)::int as changed from changed`): RawBuilder<unknown> => sql`
  , attributed as (
    select * from changed where attribution = 'attributed'
  ), new_converters as (
    insert into converters (experiment_id, metric, user_id)
    select distinct experiment_id, metric, user_id from attributed
    -- One order for every transaction: concurrent jobs for the same users wait, never deadlock.
    order by 1, 2, 3
    on conflict do nothing
    returning experiment_id, metric, user_id
  ), converter_counts as (
    select n.experiment_id, u.variant_id, n.metric, count(*) as converters
    from new_converters n
    join (select distinct experiment_id, user_id, variant_id from attributed) u
      on u.experiment_id = n.experiment_id and u.user_id = n.user_id
    group by n.experiment_id, u.variant_id, n.metric
  ), event_counts as (
    -- A square below float8's range is an error in PostgreSQL ("underflow"), not 0: it would fail
    -- the statement for good. Values under 1e-150 add (far) less than 1e-300 to the sum of squares.
    select experiment_id, variant_id, metric, count(*) as events,
           sum(value) as value_sum, sum(case when abs(value) < 1e-150 then 0 else value * value end) as value_sum_squares
    from attributed group by experiment_id, variant_id, metric
  ), bump_metrics as (
    insert into metric_aggregates (experiment_id, variant_id, metric, events, converters, value_sum, value_sum_squares)
    select e.experiment_id, e.variant_id, e.metric, e.events, coalesce(c.converters, 0), e.value_sum, e.value_sum_squares
    from event_counts e
    left join converter_counts c
      on c.experiment_id = e.experiment_id and c.variant_id = e.variant_id and c.metric = e.metric
    order by 1, 2, 3
    on conflict (experiment_id, variant_id, metric) do update set
      events = metric_aggregates.events + excluded.events,
      converters = metric_aggregates.converters + excluded.converters,
      value_sum = metric_aggregates.value_sum + excluded.value_sum,
      value_sum_squares = metric_aggregates.value_sum_squares + excluded.value_sum_squares
    returning 1
  ), unattributed_counts as (
    select experiment_id, metric,
      count(*) filter (where attribution = 'not_assigned') ${leftNotAssigned ? sql`- count(*)` : sql``} as not_assigned,
      count(*) filter (where attribution = 'before_assignment') as before_assignment
    from changed group by experiment_id, metric
  ), bump_unattributed as (
    insert into unattributed_aggregates (experiment_id, metric, not_assigned, before_assignment)
    select experiment_id, metric, not_assigned, before_assignment from unattributed_counts
    where not_assigned <> 0 or before_assignment <> 0
    order by 1, 2
    on conflict (experiment_id, metric) do update set
      not_assigned = unattributed_aggregates.not_assigned + excluded.not_assigned,
      before_assignment = unattributed_aggregates.before_assignment + excluded.before_assignment
    returning 1
  )
  ${result}`
