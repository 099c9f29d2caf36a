import { jobFailureOf, QUEUE } from '@experiments/contracts'
import { isDependencyUnavailable } from '@experiments/http'
import { UnrecoverableError, type Job } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

// JavaScript's errors for a bug: a retry runs the same code on the same data.
const BUG_NAMES = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'])
// SQLSTATE classes of a statement PostgreSQL refuses however often it is sent: 0A feature not
// supported, 21 cardinality violation, 22 data exception, 23 integrity constraint violation, 42
// syntax error or access rule violation, 54 program limit exceeded. Connection (08), operator
// intervention (57), resources (53), transaction rollback (40) and the rest may pass.
const PG_PERMANENT = /^(0A|21|22|23|42|54)[0-9A-Z]{3}$/
// Of those, what a person fixes without touching the batch (a migration not yet applied, a grant
// missing): undefined table, column or function, insufficient privilege. Retried until then.
const PG_FIXABLE = new Set(['42P01', '42703', '42883', '42501'])

const sqlStateOf = (error: Error): string | undefined => {
  const { code } = error as { code?: unknown }
  return typeof code === 'string' && PG_PERMANENT.test(code) && !PG_FIXABLE.has(code) ? code : undefined
}

/**
 * True when retrying the job cannot succeed: a malformed job (UnrecoverableError), a bug
 * (TypeError, RangeError, ReferenceError, SyntaxError) or a statement PostgreSQL refuses for its
 * data or text (SQLSTATE classes 0A, 21, 22, 23, 42, 54). Everything else, unknown errors
 * included, may pass and is retried: a batch retried in vain costs a log line, one given up on
 * wrongly waits for a person.
 */
export const isPermanentFailure = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false
  if (isDependencyUnavailable(error)) return false
  if (error instanceof UnrecoverableError || error.name === 'UnrecoverableError') return true
  return BUG_NAMES.has(error.name) || sqlStateOf(error) !== undefined
}

/**
 * What a processor throws for `error`: an UnrecoverableError (BullMQ fails the job at once, no
 * retry) naming the reason when the failure is permanent, `error` itself otherwise.
 */
export const asJobFailure = (error: unknown): unknown => {
  if (!isPermanentFailure(error) || error instanceof UnrecoverableError) return error
  const failure = error as Error
  const state = sqlStateOf(failure)
  const reason = state ? `PostgreSQL refused it (SQLSTATE ${state}): ${failure.message}` : `${failure.name}: ${failure.message}`
  return Object.assign(new UnrecoverableError(`cannot succeed, not retried: ${reason}`), { cause: error })
}

/**
 * The wait before attempt `attemptsMade + 1` of a conversions job: `delayMs`, doubled after each
 * further failure, at most `maxDelayMs`. @example cappedBackoff({ delayMs: 1000, maxDelayMs: 60_000 })(3) === 4000
 */
export const cappedBackoff =
  ({ delayMs, maxDelayMs }: { delayMs: number; maxDelayMs: number }) =>
  (attemptsMade: number): number =>
    Math.min(maxDelayMs, delayMs * 2 ** Math.max(0, attemptsMade - 1))

/**
 * Logs a job's failure at the level it deserves: error (an alert) only for what needs a person.
 * A conversions batch that will be retried, a maintenance tick (the next one retries) and a
 * compute-results job whose caller is answered 503 or 400 are warnings or less.
 */
export const logJobFailure = (
  log: FastifyBaseLogger,
  queue: string,
  job: Pick<Job, 'id' | 'name' | 'attemptsMade' | 'timestamp' | 'opts'> | undefined,
  err: Error,
  nextDelayMs: (attemptsMade: number) => number,
) => {
  const context = { err, queue, jobId: job?.id, attempts: job?.attemptsMade }
  const permanent = isPermanentFailure(err)
  if (queue === QUEUE.maintenance) {
    if (permanent) log.error(context, 'maintenance tick failed in a way no retry fixes; every tick will fail alike until the cause is fixed')
    else log.warn(context, 'maintenance tick failed; the next tick retries')
    return
  }
  if (queue === QUEUE.computeResults) {
    const code = jobFailureOf(err.message)?.code
    if (code === 'VALIDATION_FAILED') log.info(context, 'compute-results refused its input; the caller is answered 400')
    else if (code === 'SERVICE_UNAVAILABLE') log.warn(context, 'compute-results failed: a dependency is unavailable; the caller is answered 503')
    else if (permanent) log.error(context, 'compute-results failed in a way no retry fixes')
    else log.warn(context, 'compute-results failed; the caller may retry')
    return
  }
  const outOfAttempts = !job || job.attemptsMade >= (job.opts.attempts ?? 1)
  if (permanent) {
    log.error({ ...context, reason: err.message }, 'job failed for good: retrying cannot succeed; it stays in the failed set for a person to look at')
  } else if (outOfAttempts) {
    // A job added with fewer attempts than CONVERSION_JOB_OPTIONS gives (by hand, say) can run out of them.
    log.error({ ...context, reason: err.message }, 'job failed for good: out of attempts; it stays in the failed set for retrying by hand')
  } else {
    // A job retried for an hour fails about 60 times: its first failure is logged with the stack, the others with the reason.
    const { err: _stack, ...brief } = context
    const cause = job.attemptsMade <= 1 ? context : { ...brief, reason: err.message, code: (err as { code?: unknown }).code }
    log.warn({ ...cause, waitedMs: Date.now() - job.timestamp, nextDelayMs: nextDelayMs(job.attemptsMade) }, 'job failed; it will be retried')
  }
}
