import { isErrorCode, type ErrorCode } from './errors.js'

/**
 * BullMQ queue names. The prefix of compute-results and maintenance carries a hash tag so that
 * every key of a queue lands in one Redis Cluster slot, as BullMQ requires on a cluster. The
 * `conversions` queue is sharded: each shard has a prefix of its own (conversion-shards.ts).
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
 * A failed job's reason carries the error's code at its start (`SERVICE_UNAVAILABLE: PostgreSQL …`):
 * BullMQ carries only the reason's text from the worker to the process waiting on the job, so an
 * error stays a code across processes and the gateway answers by it (compute-requester.ts), never
 * by the wording. @example codedFailure('SERVICE_UNAVAILABLE', 'PostgreSQL could not be reached')
 */
export const codedFailure = (code: ErrorCode, message: string) => `${code}: ${message}`

/**
 * The code and message of a failed job's reason (see codedFailure), or undefined for a reason that
 * does not start with a known code.
 */
export const jobFailureOf = (reason: string): { code: ErrorCode; message: string } | undefined => {
  const end = reason.indexOf(': ')
  if (end < 0) return undefined
  const text = reason.slice(0, end)
  return isErrorCode(text) ? { code: text, message: reason.slice(end + 2) } : undefined
}
