import { configPublisher, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { Redis } from '@experiments/redis'
import { Queue, UnrecoverableError, Worker } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { makeConversionProcessor } from './conversions/processor.js'
import { reconcileBacklog } from './maintenance/backlog-reconcile.js'
import { MAINTENANCE_JOBS, makeMaintenanceProcessor } from './maintenance/processor.js'
import { makeComputeProcessor } from './results/processor.js'

export type WorkerOptions = {
  db: Kysely<DB>
  /** Commands (publishing configs, the backlog counter). */
  redis: Redis
  /** BullMQ's own connection factory: workers block on Redis, so each gets a dedicated connection. */
  bullConnection: () => Redis
  concurrency: number
  log: FastifyBaseLogger
  completeEveryMs?: number
  sweepEveryMs?: number
  reconcileEveryMs?: number
}

/** Starts the BullMQ workers of the analytics service and registers its job schedulers. */
export const startWorkers = async ({
  db,
  redis,
  bullConnection,
  concurrency,
  log,
  completeEveryMs = 5000,
  sweepEveryMs = 5000,
  reconcileEveryMs = 10_000,
}: WorkerOptions) => {
  // Jobs take milliseconds, so a short lock lets another worker take over a dead worker's jobs
  // within seconds instead of BullMQ's default of about a minute.
  // Every job is idempotent, so one that stalled several times (its workers died) is still safe to
  // run again rather than to fail for good.
  const common = { prefix: QUEUE_PREFIX, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 20 }
  // Only counted here, never consumed: the commands connection will do.
  const conversions = new Queue(QUEUE.conversions, { prefix: QUEUE_PREFIX, connection: redis })
  const workers = [
    new Worker(QUEUE.conversions, makeConversionProcessor({ db, redis }), { ...common, connection: bullConnection(), concurrency }),
    new Worker(QUEUE.computeResults, makeComputeProcessor({ db }), { ...common, connection: bullConnection(), concurrency: 2 }),
    new Worker(QUEUE.maintenance, makeMaintenanceProcessor({ db, publisher: configPublisher(redis), reconcileBacklog: () => reconcileBacklog(conversions, redis) }), {
      ...common,
      connection: bullConnection(),
      concurrency: 1,
    }),
  ]
  for (const worker of workers) {
    worker.on('failed', (job, err) => {
      const context = { err, queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade }
      // A job out of attempts (or failed as unrecoverable) is kept, not retried: someone must look.
      const final = !job || err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
      if (final) log.error(context, 'job failed for good; it stays in the failed set for retrying by hand')
      else log.warn(context, 'job failed; it will be retried')
    })
    worker.on('error', (err) => log.warn({ err, queue: worker.name }, 'worker error'))
  }

  const maintenance = new Queue(QUEUE.maintenance, { ...common, connection: bullConnection() })
  // Each tick is a job; keep none once done, so ticks do not pile up in Redis.
  const tickOptions = { removeOnComplete: true, removeOnFail: 100 }
  await maintenance.upsertJobScheduler(MAINTENANCE_JOBS.completeEnded, { every: completeEveryMs }, { name: MAINTENANCE_JOBS.completeEnded, opts: tickOptions })
  await maintenance.upsertJobScheduler(MAINTENANCE_JOBS.reattributeSweep, { every: sweepEveryMs }, { name: MAINTENANCE_JOBS.reattributeSweep, opts: tickOptions })
  await maintenance.upsertJobScheduler(MAINTENANCE_JOBS.reconcileBacklog, { every: reconcileEveryMs }, { name: MAINTENANCE_JOBS.reconcileBacklog, opts: tickOptions })

  return {
    /** Lets jobs in hand finish, then closes. */
    close: async () => {
      await Promise.all(workers.map((w) => w.close()))
      await Promise.all([maintenance.close(), conversions.close()])
    },
  }
}
