import { randomUUID } from 'node:crypto'

export const BATCH_SIZE = 100
/** Users the events come from; the even-numbered half gets an assignment row (see assignmentRows). */
export const USER_POOL = 100_000

export const userId = (k: number) => `user-${k % USER_POOL}`

export type BenchEvent = { eventId: string; experimentId: string; userId: string; metric: string; value: number; timestamp: string }

let next = 0

/**
 * A batch of BATCH_SIZE events as an SDK would send it: a fresh UUID eventId each, users drawn in
 * turn from the pool (so half are assigned), metric, value and an ISO timestamp.
 */
export const eventBatch = (experimentId: string): BenchEvent[] => {
  const timestamp = new Date().toISOString()
  const events: BenchEvent[] = []
  for (let i = 0; i < BATCH_SIZE; i++) {
    events.push({
      eventId: randomUUID(),
      experimentId,
      userId: userId(next++),
      metric: 'conversion',
      value: Math.round(Math.random() * 10_000) / 100,
      timestamp,
    })
  }
  return events
}

/** The request body of POST /api/conversions. */
export const batchBody = (events: BenchEvent[]) => JSON.stringify({ events })

/** Assignment rows for the even half of the pool, assigned a day ago, alternating between two variants. */
export const assignmentRows = (variantIds: [string, string]) => {
  const users: string[] = []
  const variants: string[] = []
  for (let k = 0; k < USER_POOL; k += 2) {
    users.push(userId(k))
    variants.push(variantIds[(k / 2) % 2]!)
  }
  return { users, variants }
}
