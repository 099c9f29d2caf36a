import type { DB } from '@experiments/db'
import { sql, type Kysely, type Transaction } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDb } from '../../../test-support/connections.js'
import { reattribute, recordConversions } from '../src/conversions/conversion-store.js'

// Attribution looks up each conversion's assignment. As a plain join, PostgreSQL hashed the whole
// assignments table for every batch the worker stored and every pass of the assignment drain:
// a cost that grew with the table. These run on a table of 20,000 assignments and count the
// sequential scans of it in the transaction (pg_stat_xact_user_tables, this backend only).

let db: Kysely<DB>
beforeAll(() => {
  db = connectDb()
})
afterAll(async () => {
  await db.destroy()
})

const ASSIGNED_USERS = 20_000
const run = `lookups-${process.pid}`
const experimentId = `exp_${run}`
const variants = [`var_${run}_a`, `var_${run}_b`]

class Rollback extends Error {}

/** Runs `body` in a transaction on a fresh experiment with 20,000 assigned users (even numbers), then rolls it all back. */
const withAssignments = async (body: (trx: Transaction<DB>) => Promise<void>) => {
  await db
    .transaction()
    .execute(async (trx) => {
      await sql`insert into experiments (id, tenant_id, name, type, status, seed) values (${experimentId}, ${run}, 'lookups', 'ab_test', 'running', 'seed')`.execute(
        trx,
      )
      await sql`insert into variants (id, experiment_id, position, name, split_basis_points, config)
        values (${variants[0]}, ${experimentId}, 0, 'a', 5000, '{}'), (${variants[1]}, ${experimentId}, 1, 'b', 5000, '{}')`.execute(trx)
      await sql`insert into assignments (experiment_id, user_id, variant_id, assigned_at)
        select ${experimentId}, 'user-' || (2 * g), case when g % 2 = 0 then ${variants[0]} else ${variants[1]} end, now() - interval '1 day'
        from generate_series(0, ${ASSIGNED_USERS - 1}) g`.execute(trx)
      await body(trx)
      throw new Rollback()
    })
    .catch((error) => {
      if (!(error instanceof Rollback)) throw error
    })
}

const sequentialScansOfAssignments = async (trx: Transaction<DB>) =>
  (await sql<{ n: number }>`select seq_scan::int as n from pg_stat_xact_user_tables where relname = 'assignments'`.execute(trx)).rows[0]?.n ?? 0

/** A job of 100 events by users 0–99: the even ones are assigned. */
const job = (prefix: string) => {
  const users = Array.from({ length: 100 }, (_, k) => `user-${k}`)
  return {
    tenantId: run,
    events: {
      eventIds: users.map((u) => `${prefix}-${u}`),
      userIds: users,
      experimentIds: users.map(() => experimentId),
      metrics: users.map(() => 'conversion'),
      values: users.map(() => 1),
      timestamps: users.map(() => new Date().toISOString()),
    },
  }
}

const attributions = async (trx: Transaction<DB>) =>
  Object.fromEntries(
    (
      await sql<{
        attribution: string
        n: number
      }>`select attribution, count(*)::int as n from conversions where tenant_id = ${run} group by attribution`.execute(trx)
    ).rows.map((r) => [r.attribution, r.n]),
  )

describe('attribution lookups on a table of 20,000 assignments', () => {
  it('storing a batch probes the assignments of its users, never scans them all', async () => {
    await withAssignments(async (trx) => {
      expect(await recordConversions(trx, [job('a'), job('b')])).toEqual([100, 100])
      expect(await attributions(trx)).toEqual({ attributed: 100, not_assigned: 100 })
      expect(await sequentialScansOfAssignments(trx)).toBe(0)
    })
  })

  it("moving waiting conversions over, for the drain's pairs and for the sweep, probes too", async () => {
    await withAssignments(async (trx) => {
      await recordConversions(trx, [job('a')])
      const late = (k: number) => `user-${k}`
      // Odd users 1–49 get their assignments now: the drain names them; 51–99 are left to the sweep.
      await sql`insert into assignments (experiment_id, user_id, variant_id, assigned_at)
        select ${experimentId}, 'user-' || g, ${variants[0]}, now() - interval '1 hour' from generate_series(1, 99, 2) g`.execute(trx)
      const drained = Array.from({ length: 25 }, (_, i) => ({ experimentId, userId: late(2 * i + 1) }))
      expect(await reattribute(trx, { pairs: drained })).toBe(25)
      // The sweep may also move other files' recent conversions: the count is at least this file's 25.
      expect(await reattribute(trx, { receivedFrom: new Date(Date.now() - 600_000), receivedBefore: new Date(Date.now() + 60_000) })).toBeGreaterThanOrEqual(25)
      expect(await attributions(trx)).toEqual({ attributed: 100 })
      expect(await sequentialScansOfAssignments(trx)).toBe(0)
    })
  })
})
