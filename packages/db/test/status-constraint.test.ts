import { EXPERIMENT_STATUSES } from '@experiments/contracts'
import { createDb } from '@experiments/db'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { testDatabaseUrl } from '../../../test-support/context.js'

describe('the experiments_status_known check constraint', () => {
  const db = createDb(testDatabaseUrl(), { max: 1 })
  afterAll(() => db.destroy())

  // Migrations keep their literal values, never importing the list: this pins the two together.
  it('allows exactly the statuses of @experiments/contracts', async () => {
    const { rows } = await sql<{ definition: string }>`
      select pg_get_constraintdef(oid) as definition from pg_constraint
      where conname = 'experiments_status_known' and conrelid = 'experiments'::regclass`.execute(db)
    expect(rows).toHaveLength(1)
    const allowed = [...rows[0]!.definition.matchAll(/'([^']*)'::text/g)].map((m) => m[1])
    expect(allowed).toEqual([...EXPERIMENT_STATUSES])
  })
})
