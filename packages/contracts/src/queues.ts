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

/** The name of the conversions jobs' backoff: computed by the analytics worker (its `backoffStrategy`), capped. */
export const CONVERSION_BACKOFF = 'capped-exponential'

/**
 * How gateways add a conversions job. An accepted batch is retried until it is stored, however
 * long PostgreSQL is away (storing is idempotent), so attempts are unlimited in practice; the
 * worker spaces them (ANALYTICS_RETRY_DELAY_MS doubling up to ANALYTICS_RETRY_MAX_DELAY_MS) and
 * fails a job at once only when retrying cannot help. A job that failed for good is kept (and can
 * be retried) for 7 days.
 */
export const CONVERSION_JOB_OPTIONS = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: CONVERSION_BACKOFF },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86400 },
} as const

/**
 * Codes a failed job's reason starts with (`SERVICE_UNAVAILABLE: PostgreSQL …`): BullMQ carries
 * only the reason's text from the worker to the process waiting on the job, and the gateway answers
 * by the code (compute-requester.ts), never by the wording.
 */
export const JOB_FAILURE = {
  /** A dependency (PostgreSQL, Redis) could not be reached: the caller may retry shortly. */
  serviceUnavailable: 'SERVICE_UNAVAILABLE',
  /** The statistics refused the job's input: the caller's request is wrong. */
  invalidStatsInput: 'INVALID_STATS_INPUT',
} as const
export type JobFailureCode = (typeof JOB_FAILURE)[keyof typeof JOB_FAILURE]

const FAILURE_CODES = new Set<string>(Object.values(JOB_FAILURE))

/** A failed job's reason carrying `code`. @example codedFailure(JOB_FAILURE.serviceUnavailable, 'PostgreSQL could not be reached') */
export const codedFailure = (code: JobFailureCode, message: string) => `${code}: ${message}`

/** The code a failed job's reason starts with (see codedFailure), or undefined for a reason without one. */
export const failureCodeOf = (reason: string): JobFailureCode | undefined => {
  const code = reason.slice(0, reason.indexOf(': '))
  return FAILURE_CODES.has(code) ? (code as JobFailureCode) : undefined
}
