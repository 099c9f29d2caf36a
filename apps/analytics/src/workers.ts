import { DEFAULT_CONVERSION_QUEUE_SHARDS, DEFAULT_RETRY_DELAY_MS, DEFAULT_RETRY_MAX_DELAY_MS } from '@experiments/config'
import { configPublisher, conversionShards, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { Registry } from '@experiments/http'
import type { RedisClient } from '@experiments/redis'
import { Queue, Worker } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { makeConversionProcessor } from './conversions/processor.js'
import { consumeConversionShards } from './conversions/shard-consumers.js'
import { reportWaitingBatches } from './conversions/waiting-report.js'
import { cappedBackoff, logJobFailure } from './job-failures.js'
import { jobMetrics } from './job-metrics.js'
import { reconcileBacklog } from './maintenance/backlog-reconcile.js'
import { MAINTENANCE_JOBS, makeMaintenanceProcessor } from './maintenance/processor.js'
import { makeComputeProcessor } from './results/processor.js'

export type WorkerOptions = {
  db: Kysely<DB>
  /** Commands (publishing configs, the backlog counter). */
  redis: RedisClient
  /** BullMQ's own connection factory: workers block on Redis, so each gets a dedicated connection. */
  bullConnection: () => RedisClient
  /** Conversion jobs processed at once, over all shards (ANALYTICS_CONCURRENCY). */
  concurrency: number
  /** CONVERSION_QUEUE_SHARDS: the shards always consumed (others are found in the shard registry). */
  conversionShards?: number
  log: FastifyBaseLogger
  /** The registry of the worker's GET /metrics: jobs' durations, events stored, jobs in each queue. */
  metrics: Registry
  completeEveryMs?: number
  sweepEveryMs?: number
  reconcileEveryMs?: number
  /** Settling time of the re-attribution sweep (maintenance/processor.ts); tests shorten it. */
  sweepSettleSeconds?: number
  /** A conversions job's first retry waits `delayMs`, each further one twice as long, up to `maxDelayMs` (ANALYTICS_RETRY_*). */
  retry?: { delayMs: number; maxDelayMs: number }
  /** How often, while conversion batches wait for a retry, how many wait and for how long is logged. */
  waitingReportEveryMs?: number
  /** How often the conversion shard registry is read, and after how long unnamed empty shards are dropped (shard-consumers.ts); tests shorten them. */
  shardRegistry?: { refreshMs: number; retireAfterMs: number }
}

/** Starts the BullMQ workers of the analytics service and registers its job schedulers. */
export const startWorkers = async ({
  db,
  redis,
  bullConnection,
  concurrency,
  conversionShards: shardCount = DEFAULT_CONVERSION_QUEUE_SHARDS,
  log,
  metrics,
  completeEveryMs = 5000,
  sweepEveryMs = 5000,
  reconcileEveryMs = 10_000,
  sweepSettleSeconds,
  retry = { delayMs: DEFAULT_RETRY_DELAY_MS, maxDelayMs: DEFAULT_RETRY_MAX_DELAY_MS },
  waitingReportEveryMs = 15_000,
  shardRegistry,
}: WorkerOptions) => {
  // Jobs take milliseconds, so a short lock lets another worker take over a dead worker's jobs
  // within seconds instead of BullMQ's default of about a minute.
  // Every job is idempotent, so one that stalled several times (its workers died) is still safe to
  // run again rather than to fail for good.
  const common = { prefix: QUEUE_PREFIX, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 20 }
  // The conversions jobs' backoff (CONVERSION_JOB_OPTIONS): attempts are unlimited, so the wait is capped.
  const backoff = cappedBackoff(retry)
  const observed = jobMetrics(metrics, log)
  // Every BullMQ object reports its connection's errors: without a listener BullMQ prints them raw to stderr.
  const listen = (worker: Worker) => {
    worker.on('failed', (job, err) => logJobFailure(log, worker.name, job, err, backoff))
    worker.on('error', (err) => log.warn({ err, queue: worker.name }, 'worker error'))
    observed.timeJobs(worker)
  }
  const own = conversionShards(shardCount)
  const shards = consumeConversionShards({
    redis,
    own,
    processorFor: makeConversionProcessor({ db, redis }),
    concurrency,
    workerOptions: {
      ...common,
      settings: { backoffStrategy: (attemptsMade: number) => backoff(attemptsMade) },
    },
    bullConnection,
    onWorker: (worker) => {
      listen(worker)
      observed.countStoredEvents(worker)
    },
    log,
    ...shardRegistry,
  })
  const workers = [
    new Worker(QUEUE.computeResults, makeComputeProcessor({ db }), { ...common, connection: bullConnection(), concurrency: 2 }),
    new Worker(
      QUEUE.maintenance,
      makeMaintenanceProcessor({
        db,
        publisher: configPublisher(redis),
        reconcileBacklog: () => reconcileBacklog(shards.shards(), redis),
        ...(sweepSettleSeconds === undefined ? {} : { sweepSettleSeconds }),
      }),
      {
        ...common,
        connection: bullConnection(),
        concurrency: 1,
      },
    ),
  ]
  for (const worker of workers) listen(worker)
  const waitingReport = reportWaitingBatches({ queues: () => shards.shards().map(({ queue }) => queue), log, everyMs: waitingReportEveryMs })

  const maintenance = new Queue(QUEUE.maintenance, { ...common, connection: bullConnection() })
  maintenance.on('error', (err) => log.warn({ err, queue: QUEUE.maintenance }, 'queue error'))
  // Counted, never added to, here: the gateway adds its jobs.
  const computeResults = new Queue(QUEUE.computeResults, { prefix: QUEUE_PREFIX, connection: redis })
  computeResults.on('error', (err) => log.warn({ err, queue: QUEUE.computeResults }, 'queue error'))
  observed.countQueuedJobs(() => [...shards.shards().map(({ queue }) => queue), computeResults, maintenance])
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
    /** The conversion shards consumed now, each with the jobs it runs at once. */
    conversionShards: () => shards.shards().map(({ shard, worker }) => ({ ...shard, concurrency: worker.concurrency })),
    /** Lets jobs in hand finish, then closes. */
    close: async () => {
      waitingReport.stop()
      await Promise.all([shards.close(), ...workers.map((w) => w.close())])
      await Promise.all([maintenance.close(), computeResults.close()])
    },
  }
}
