import type { DB } from '@experiments/db'
import { sql, type Kysely } from 'kysely'
import { reattribute } from './conversion-store.js'

const SWEEP = 'reattribute'

export type SweepOptions = {
  /**
   * How long after its arrival a waiting conversion is left alone; must exceed the longest a
   * conversion statement can run (the worker's statement timeout). See `sweepWaitingConversions`.
   */
  settleSeconds: number
  /** Arrivals one statement looks at (seconds of received_at), so catching up after an outage goes in bounded steps. */
  sliceSeconds?: number
  /** Slices one call runs at most; the next call resumes where this one stopped. */
  maxSlices?: number
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000)

/**
 * Attributes the conversions the drain cannot see: one stored by a transaction that overlapped the
 * transaction storing its user's assignment (neither saw the other's rows). The sweep resumes from
 * the arrival time it last reached (`sweep_positions`), so however long the worker or PostgreSQL
 * was away, every waiting conversion is looked at once, when it has settled:
 *  - its own transaction has ended: the horizon lies before the start of every transaction still
 *    open on the database, and a conversion's received_at is its transaction's start;
 *  - so has every transaction that overlapped it: a transaction still open started after the
 *    horizon, more than `settleSeconds` after the conversion's arrival, so after the conversion was
 *    committed (conversion statements run shorter than that), and its own re-attribution sees it.
 * The horizon is read in a statement of its own, before the conversions are: everything that was
 * not open then is committed in the later statements' snapshots. Returns the conversions moved.
 */
export const sweepWaitingConversions = async (db: Kysely<DB>, { settleSeconds, sliceSeconds = 10, maxSlices = 30 }: SweepOptions) => {
  let moved = 0
  for (let slice = 0; slice < maxSlices; slice++) {
    const step = await db.transaction().execute(async (trx) => {
      const { position, horizon } =
        // position is -Infinity (a number, not a Date) until the first sweep has run.
        (
          await sql<{ position: Date | number; horizon: Date }>`
          select p.swept_until as position,
            least(now(), (select min(xact_start) from pg_stat_activity
                          where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null))
              - make_interval(secs => ${settleSeconds}) as horizon
          from sweep_positions p where p.name = ${SWEEP} for update`.execute(trx)
        ).rows[0]!
      if (position >= horizon) return { moved: 0, done: true }
      // Skip the stretch where nothing waits (the first sweep starts at -infinity).
      const { first } = (
        await sql<{ first: Date | null }>`
          select min(received_at) as first from conversions
          where attribution = 'not_assigned' and received_at < ${horizon}
            and received_at >= (select swept_until from sweep_positions where name = ${SWEEP})`.execute(trx)
      ).rows[0]!
      const from = first ?? horizon
      const until = new Date(Math.min(horizon.getTime(), addSeconds(from, sliceSeconds).getTime()))
      const changed = from < until ? await reattribute(trx, { receivedFrom: from, receivedBefore: until }) : 0
      await trx.updateTable('sweep_positions').set({ swept_until: until, updated_at: sql`now()` }).where('name', '=', SWEEP).execute()
      return { moved: changed, done: until >= horizon }
    })
    moved += step.moved
    if (step.done) break
  }
  return moved
}
