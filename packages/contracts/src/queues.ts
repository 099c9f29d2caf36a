/**
 * BullMQ queue names. The prefix carries a hash tag so that every key of every queue lands in one
 * Redis Cluster slot, as BullMQ requires on a cluster.
 */
export const QUEUE_PREFIX = '{bull}'

export const QUEUE = {
  conversions: 'conversions',
  computeResults: 'compute-results',
  maintenance: 'maintenance',
} as const

/**
 * How gateways add a conversions job: retried, since storing is idempotent; a job that failed for
 * good is kept (and can be retried) for 7 days.
 */
export const CONVERSION_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86400 },
} as const
