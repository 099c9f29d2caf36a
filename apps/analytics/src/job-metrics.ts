import { Counter, Histogram, scrapedGauge, type Registry } from '@experiments/http'
import type { Job, Queue, Worker } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const
/** From 5 ms (a conversions job) to a minute. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** A queue's label: its prefix and name, as its Redis keys begin (`{conversions-4.0.3}:conversions`, `{bull}:maintenance`). */
const queueLabel = ({ name, opts }: { name: string; opts: { prefix?: string } }) => `${opts.prefix}:${name}`

/** The analytics worker's BullMQ metrics, on `registry`: jobs' durations, events stored, jobs in each queue. */
export const jobMetrics = (registry: Registry, log: FastifyBaseLogger) => {
  const durations = new Histogram({
    name: 'experiments_job_duration_seconds',
    help: 'Time a job ran, from taken to done or failed, by queue',
    labelNames: ['queue'],
    buckets: BUCKETS,
    registers: [registry],
  })
  const stored = new Counter({
    name: 'experiments_events_stored_total',
    help: 'Conversion events this worker stored in PostgreSQL (an event stored before, a retried batch say, is not counted again)',
    registers: [registry],
  })
  return {
    /** Times every job `worker` finishes, done or failed. */
    timeJobs: (worker: Worker) => {
      const queue = queueLabel(worker)
      // A failed job to be retried has no finishedOn: it ended now.
      const observe = (job: Job | undefined) => {
        if (job?.processedOn) durations.observe({ queue }, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000)
      }
      worker.on('completed', observe)
      worker.on('failed', observe)
    },
    /** Counts the events the conversions jobs of `worker` stored (their processor's result). */
    countStoredEvents: (worker: Worker) => {
      worker.on('completed', (_job, result: { stored: number }) => stored.inc(result.stored))
    },
    /** experiments_queue_jobs{queue, state} of `queues`, read on each scrape: one call per queue, whose keys share a slot. */
    countQueuedJobs: (queues: () => Queue[]) =>
      scrapedGauge({
        registry,
        name: 'experiments_queue_jobs',
        help: 'Jobs in each BullMQ queue (prefix:name) by state: waiting, active, delayed (a retry included), failed',
        labelNames: ['queue', 'state'],
        read: async () => {
          const perQueue = await Promise.all(
            queues().map(async (queue) => {
              const counts = await queue.getJobCounts(...STATES)
              return STATES.map((state) => ({ labels: { queue: queueLabel(queue), state }, value: counts[state] ?? 0 }))
            }),
          )
          return perQueue.flat()
        },
        log,
      }),
  }
}
