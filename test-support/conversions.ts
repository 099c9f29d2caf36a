import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'

let eventCounter = 0
/** Conversion events with fresh eventIds. */
export const events = (experimentId: string, users: string[], extra: object = {}) =>
  users.map((userId) => ({ eventId: `evt-${process.pid}-${eventCounter++}`, experimentId, userId, ...extra }))

/** How many of `eventIds` the conversions table holds for `tenantId`. */
export const storedEvents = async (db: Kysely<DB>, tenantId: string, eventIds: string[]) =>
  (
    await db
      .selectFrom('conversions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', eventIds)
      .executeTakeFirstOrThrow()
  ).n

/** The events and the value counted in metric_aggregates for `experimentId`. */
export const conversionTotals = (db: Kysely<DB>, experimentId: string) =>
  db
    .selectFrom('metric_aggregates')
    .select([sql<number>`coalesce(sum(events), 0)::int`.as('events'), sql<number>`coalesce(sum(value_sum), 0)`.as('value')])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirstOrThrow()

/** Assignment rows in PostgreSQL for `users`, alternating between the first two variants. */
export const assignAnHourAgo = (db: Kysely<DB>, experiment: { id: string; variants: { id: string }[] }, users: string[]) =>
  db
    .insertInto('assignments')
    .values(
      users.map((u, i) => ({
        experiment_id: experiment.id,
        user_id: u,
        variant_id: experiment.variants[i % 2]!.id,
        assigned_at: new Date(Date.now() - 3_600_000),
      })),
    )
    .execute()
