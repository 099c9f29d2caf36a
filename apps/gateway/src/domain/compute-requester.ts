import { jobFailureOf, QUEUE, ServiceUnavailable, ValidationFailed, type ComputeJob } from '@experiments/contracts'
import type { Queue, QueueEvents } from 'bullmq'

const RETRY_AFTER_SECONDS = 2
/**
 * Calls with the same experiment and options this soon after a computation started share it, even
 * once it has finished: a computation takes milliseconds, so "until it finishes" alone let a call
 * that arrived a moment after nine others compute a second time.
 */
const SHARE_WINDOW_MS = 1000

/**
 * The error the caller is answered with when waiting for a compute-results job failed: by the error
 * code its reason starts with (the worker's codedFailure), or because the wait timed out (BullMQ's
 * own message, from this process). Anything else is the gateway's 500.
 */
const answerFor = (error: Error, job: { id?: string | undefined; name: string }, timeoutMs: number): Error => {
  const reason = error.message
  const failure = jobFailureOf(reason)
  if (failure?.code === 'VALIDATION_FAILED') return new ValidationFailed(failure.message)
  if (failure?.code === 'SERVICE_UNAVAILABLE') {
    return new ServiceUnavailable(`results cannot be computed now: a backing service is unavailable; retry in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS)
  }
  if (reason.startsWith(`Job wait ${job.name} timed out`)) {
    return new ServiceUnavailable(`results are still being computed after ${timeoutMs} ms; retry in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS)
  }
  return new Error(`compute-results job ${job.id} failed: ${reason}`, { cause: error })
}

/**
 * Asks the analytics worker to compute results and waits for the answer. Calls with the same
 * experiment and options within SHARE_WINDOW_MS of a computation join it (BullMQ deduplication in
 * throttle mode), so ten concurrent calls compute once; a finished job's answer stays readable for
 * five minutes, longer than the window.
 */
export const computeRequester = ({ queue, events, timeoutMs }: { queue: Queue; events: QueueEvents; timeoutMs: number }) => ({
  compute: async (job: ComputeJob): Promise<unknown> => {
    const deduplicationId = [job.experimentId, job.metric, job.confidenceLevel, job.controlVariantId ?? ''].join(':')
    const added = await queue.add(QUEUE.computeResults, job, {
      deduplication: { id: deduplicationId, ttl: SHARE_WINDOW_MS },
      attempts: 1,
      removeOnComplete: { age: 300 },
      removeOnFail: { age: 300 },
    })
    try {
      return await added.waitUntilFinished(events, timeoutMs)
    } catch (error) {
      throw answerFor(error as Error, added, timeoutMs)
    }
  },
})
export type ComputeRequester = ReturnType<typeof computeRequester>
