import {
  CONVERSION_SHARD_REGISTRY,
  CONVERSION_SHARD_RETIRE_MS,
  conversionShardOfPrefix,
  QUEUE,
  shardsByMaster,
  type ConversionShard,
} from '@experiments/contracts'
import { masterOfKey, onSlotMastersRead, type RedisClient } from '@experiments/redis'
import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

/** A conversion shard with its queue (counted and read, never consumed, through it). */
export type ShardQueue = { shard: ConversionShard; queue: Queue }

const PENDING = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children'] as const
const REFRESH_MS = 5000

type Deps = {
  /** Commands: the registry, the shards' queues. */
  redis: RedisClient
  /** The shards of this worker's CONVERSION_QUEUE_SHARDS: always consumed. */
  own: ConversionShard[]
  processorFor: (shard: ConversionShard) => Processor
  /** BullMQ options of each shard's worker (connection and concurrency excluded): each gets a connection of its own. */
  workerOptions: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>
  /** Jobs run at once over all shards (ANALYTICS_CONCURRENCY), shared as the batches are. */
  concurrency: number
  bullConnection: () => RedisClient
  /** Called with every worker started, for its listeners. */
  onWorker: (worker: Worker) => void
  log: FastifyBaseLogger
  /** How often the registry is read (tests shorten it). */
  refreshMs?: number
  /** A shard no gateway named for this long is dropped once empty (tests shorten it). */
  retireAfterMs?: number
}

/**
 * Consumes every conversion shard: this worker's own, and every other shard a gateway named in the
 * registry (CONVERSION_SHARD_REGISTRY), re-read every 5 s. A shard of another count, no longer
 * named by any gateway for CONVERSION_SHARD_RETIRE_MS, is consumed until its queue is empty, then
 * left: so changing CONVERSION_QUEUE_SHARDS on a running system loses no batch.
 * An own shard runs jobs in proportion to the share of batches gateways send it (shardsByMaster:
 * on a cluster, a master's shards share its third), re-sized whenever the masters change; another
 * shard runs an equal share of `concurrency`.
 */
export const consumeConversionShards = (deps: Deps) => {
  const consumers = new Map<string, ShardQueue & { worker: Worker }>()
  const ownPrefixes = new Set(deps.own.map((shard) => shard.prefix))
  const equalShare = Math.ceil(deps.concurrency / deps.own.length)

  /** Each own shard's concurrency, by its share of the batches. */
  const ownConcurrency = () => {
    const groups = shardsByMaster(deps.own, (shard) => masterOfKey(deps.redis, shard.backlogKey))
    return new Map(groups.flatMap((group) => group.map((shard) => [shard.prefix, Math.ceil(deps.concurrency / (groups.length * group.length))] as const)))
  }

  const start = (shard: ConversionShard, concurrency: number) => {
    const worker = new Worker(QUEUE.conversions, deps.processorFor(shard), {
      ...deps.workerOptions,
      concurrency,
      prefix: shard.prefix,
      connection: deps.bullConnection(),
    })
    deps.onWorker(worker)
    const queue = new Queue(QUEUE.conversions, { prefix: shard.prefix, connection: deps.redis })
    queue.on('error', (err) => deps.log.warn({ err, shard: shard.prefix }, 'queue error'))
    consumers.set(shard.prefix, { shard, queue, worker })
  }

  const retire = async (prefix: string) => {
    const consumer = consumers.get(prefix)
    if (!consumer) return
    consumers.delete(prefix)
    await Promise.all([consumer.worker.close(), consumer.queue.close()])
    deps.log.info({ shard: prefix }, 'conversion shard no gateway writes to is empty; no longer consumed')
  }

  const pendingInShard = async (prefix: string) => {
    const queue = new Queue(QUEUE.conversions, { prefix, connection: deps.redis })
    try {
      return await pendingJobs(queue)
    } finally {
      await queue.close()
    }
  }

  const refresh = async () => {
    const registered = await deps.redis.zrange(CONVERSION_SHARD_REGISTRY, 0, -1, 'WITHSCORES')
    for (let i = 0; i < registered.length; i += 2) {
      const prefix = registered[i]!
      const namedAt = Number(registered[i + 1])
      const shard = conversionShardOfPrefix(prefix)
      if (!shard || ownPrefixes.has(prefix)) continue
      const consumer = consumers.get(prefix)
      const stale = Date.now() - namedAt > (deps.retireAfterMs ?? CONVERSION_SHARD_RETIRE_MS)
      if (!consumer) {
        if (!stale || (await pendingInShard(prefix)) > 0) start(shard, equalShare)
        continue
      }
      if (stale && (await pendingJobs(consumer.queue)) === 0) await retire(prefix)
    }
  }

  const initial = ownConcurrency()
  for (const shard of deps.own) start(shard, initial.get(shard.prefix)!)
  const stopResizing = onSlotMastersRead(deps.redis, () => {
    for (const [prefix, concurrency] of ownConcurrency()) {
      const consumer = consumers.get(prefix)
      if (consumer && consumer.worker.concurrency !== concurrency) consumer.worker.concurrency = concurrency
    }
  })
  let running: Promise<void> | undefined
  const timer = setInterval(() => {
    running ??= refresh()
      .catch((err) => deps.log.warn({ err }, 'could not read the conversion shard registry; retrying'))
      .finally(() => {
        running = undefined
      })
  }, deps.refreshMs ?? REFRESH_MS)

  return {
    /** The shards consumed now, with their queues and workers. */
    shards: (): (ShardQueue & { worker: Worker })[] => [...consumers.values()],
    refresh,
    /** Lets jobs in hand finish, then closes every shard's worker and queue. */
    close: async () => {
      clearInterval(timer)
      stopResizing()
      await running
      await Promise.all([...consumers.values()].flatMap(({ worker, queue }) => [worker.close(), queue.close()]))
      consumers.clear()
    },
  }
}

/** Jobs of `queue` not done yet: waiting, running, waiting for a retry. */
export const pendingJobs = async (queue: Queue) => {
  const counts = await queue.getJobCounts(...PENDING)
  return PENDING.reduce((sum, state) => sum + (counts[state] ?? 0), 0)
}
