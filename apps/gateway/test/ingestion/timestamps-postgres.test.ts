import type { DB } from '@experiments/db'
import { timestampChecker } from '@experiments/schemas'
import fc from 'fast-check'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { connectDb } from '../../../../test-support/connections.js'
import { timestampTexts } from '../../../../test-support/timestamps.js'

let db: Kysely<DB>
beforeAll(() => {
  db = connectDb()
})
afterAll(() => db.destroy())

// The gateway checks timestamps and the worker stores them as sent: a timestamp PostgreSQL refused
// would fail its whole batch after the 202.
it('accepts only event timestamps PostgreSQL stores, as the instant the gateway read', async () => {
  const check = timestampChecker(Date.now())
  const dateTimes = [...new Set(fc.sample(timestampTexts, { numRuns: 20_000, seed: 7 }))].filter((text) => check(text) !== 'not-a-date-time')
  expect(dateTimes.length).toBeGreaterThan(5000)
  const { rows } = await sql<{ text: string; ms: number }>`
    select text, extract(epoch from text::timestamptz)::float8 * 1000 as ms from unnest(${dateTimes}::text[]) as t(text)`.execute(db)
  expect(rows).toHaveLength(dateTimes.length)
  // PostgreSQL keeps microseconds where JavaScript keeps milliseconds.
  const apart = rows.filter((row) => Math.abs(row.ms - Date.parse(row.text)) >= 1)
  expect(apart).toEqual([])
})
