import { CONVERSION_BACKLOG_KEY } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'
import type { Queue } from 'bullmq'

const PENDING = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children'] as const

/**
 * Sets the conversion backlog counter back to zero when no conversions job is pending. The count
 * is exact while every counted batch's job gets stored, but a gateway that dies between counting a
 * batch and adding its job, or a job that fails for good, leaves events counted that no worker will
 * take off; left alone, that drift would hold ingestion at 429 for good. A batch counted in the
 * instant between the check and the reset is under-counted (by the batches in flight then, in the
 * lenient direction) until the queue next empties. Returns the count it cleared, or null while jobs
 * are pending.
 */
export const reconcileBacklog = async (conversions: Queue, redis: Redis): Promise<number | null> => {
  const counts = await conversions.getJobCounts(...PENDING)
  if (PENDING.some((state) => (counts[state] ?? 0) > 0)) return null
  return Number((await redis.set(CONVERSION_BACKLOG_KEY, 0, 'GET')) ?? 0)
}
