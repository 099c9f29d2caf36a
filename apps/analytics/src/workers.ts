import { DEFAULT_RETRY_DELAY_MS, DEFAULT_RETRY_MAX_DELAY_MS } from '@experiments/config'
import { configPublisher, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { Redis } from '@experiments/redis'
import { Queue, Worker } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { makeConversionProcessor } from './conversions/processor.js'
import { reportWaitingBatches } from './conversions/waiting-report.js'
import { cappedBackoff, logJobFailure } from './job-failures.js'
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
  /** Settling time of the re-attribution sweep (maintenance/processor.ts); tests shorten it. */
  sweepSettleSeconds?: number
  /** A conversions job's first retry waits `delayMs`, each further one twice as long, up to `maxDelayMs` (ANALYTICS_RETRY_*). */
  retry?: { delayMs: number; maxDelayMs: number }
  /** How often, while conversion batches wait for a retry, how many wait and for how long is logged. */
  waitingReportEveryMs?: number
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
  sweepSettleSeconds,
  retry = { delayMs: DEFAULT_RETRY_DELAY_MS, maxDelayMs: DEFAULT_RETRY_MAX_DELAY_MS },
  waitingReportEveryMs = 15_000,
}: WorkerOptions) => {
  // Jobs take milliseconds, so a short lock lets another worker take over a dead worker's jobs
  // within seconds instead of BullMQ's default of about a minute.
  // Every job is idempotent, so one that stalled several times (its workers died) is still safe to
  // run again rather than to fail for good.
  const common = { prefix: QUEUE_PREFIX, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 20 }
  // Only counted here, never consumed: the commands connection will do.
  const conversions = new Queue(QUEUE.conversions, { prefix: QUEUE_PREFIX, connection: redis })
  // Every BullMQ object reports its connection's errors: without a listener BullMQ prints them raw to stderr.
  conversions.on('error', (err) => log.warn({ err, queue: QUEUE.conversions }, 'queue error'))
  // The conversions jobs' backoff (CONVERSION_JOB_OPTIONS): attempts are unlimited, so the wait is capped.
  const backoff = cappedBackoff(retry)
  const workers = [
    new Worker(QUEUE.conversions, makeConversionProcessor({ db, redis }), {
      ...common,
      connection: bullConnection(),
      concurrency,
      settings: { backoffStrategy: (attemptsMade: number) => backoff(attemptsMade) },
    }),
    new Worker(QUEUE.computeResults, makeComputeProcessor({ db }), { ...common, connection: bullConnection(), concurrency: 2 }),
    new Worker(
      QUEUE.maintenance,
      makeMaintenanceProcessor({
        db,
        publisher: configPublisher(redis),
        reconcileBacklog: () => reconcileBacklog(conversions, redis),
        ...(sweepSettleSeconds === undefined ? {} : { sweepSettleSeconds }),
      }),
      {
        ...common,
        connection: bullConnection(),
        concurrency: 1,
      },
    ),
  ]
  for (const worker of workers) {
    worker.on('failed', (job, err) => logJobFailure(log, worker.name, job, err, backoff))
    worker.on('error', (err) => log.warn({ err, queue: worker.name }, 'worker error'))
  }
  const waitingReport = reportWaitingBatches({ queue: conversions, log, everyMs: waitingReportEveryMs })

  const maintenance = new Queue(QUEUE.maintenance, { ...common, connection: bullConnection() })
  maintenance.on('error', (err) => log.warn({ err, queue: QUEUE.maintenance }, 'queue error'))
  // Each tick is a job; keep none once done, so ticks do not pile up in Redis.
  const tickOptions = { removeOnComplete: true, removeOnFail: 100 }
  /** Registers the maintenance ticks; again after Redis lost its data, which takes the schedulers with it. */
  const registerSchedulers = async () => {
    await maintenance.upsertJobScheduler(
      MAINTENANCE_JOBS.completeEnded,
      { every: completeEveryMs },
      { name: MAINTENANCE_JOBS.completeEnded, opts: tickOptions },
    )
    await maintenance.upsertJobScheduler(
      MAINTENANCE_JOBS.reattributeSweep,
      { every: sweepEveryMs },
      { name: MAINTENANCE_JOBS.reattributeSweep, opts: tickOptions },
    )
    await maintenance.upsertJobScheduler(
      MAINTENANCE_JOBS.reconcileBacklog,
      { every: reconcileEveryMs },
      { name: MAINTENANCE_JOBS.reconcileBacklog, opts: tickOptions },
    )
  }
  await registerSchedulers()

  return {
    registerSchedulers,
    /** Lets jobs in hand finish, then closes. */
    close: async () => {
      waitingReport.stop()
      await Promise.all(workers.map((w) => w.close()))
      await Promise.all([maintenance.close(), conversions.close()])
    },
  }
}
