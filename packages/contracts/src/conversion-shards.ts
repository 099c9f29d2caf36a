import { keySlot } from '@experiments/redis'

const CLUSTER_SLOTS = 16384

/**
 * One of the BullMQ queues conversion batches are spread over (CONVERSION_QUEUE_SHARDS). Every key
 * of a shard carries the shard's hash tag (its prefix), so each shard is one Redis Cluster slot:
 * its queue, its backlog counter and its jobs' counted marks live on one master and its scripts run
 * there.
 */
export type ConversionShard = {
  /** The BullMQ prefix of the shard's `conversions` queue, e.g. `{conversions-4.1.37}`. */
  prefix: string
  /** Counter of conversion events accepted into this shard and not stored yet; ingestion answers 429 above a limit (summed over shards). */
  backlogKey: string
  /** Marks a job's events as taken off the backlog counter, so a retry does not take them off twice. */
  countedKey: (jobId: string) => string
}

const shardOf = (tag: string): ConversionShard => {
  const prefix = `{${tag}}`
  return { prefix, backlogKey: `${prefix}:conversions:backlog-events`, countedKey: (jobId) => `${prefix}:conversions:counted:${jobId}` }
}

/**
 * Shard `index` of `count`. Its hash tag is chosen so that its slot lies near (index + ½)/count of
 * the slot range: on a cluster whose masters hold equal runs of slots (what `redis-cli --cluster
 * create` makes), the shards spread over the masters as evenly as their numbers allow (4 shards on
 * 3 masters: 1, 2, 1). The tag is the first `conversions-<count>.<index>.<k>` (k = 0, 1, …) whose
 * slot falls within a window around that point; every process computes the same tags.
 */
export const conversionShard = (index: number, count: number): ConversionShard => {
  const target = Math.floor(((index + 0.5) * CLUSTER_SLOTS) / count)
  const window = Math.floor(CLUSTER_SLOTS / (4 * count))
  for (let k = 0; ; k++) {
    const tag = `conversions-${count}.${index}.${k}`
    if (Math.abs(keySlot(tag) - target) <= window) return shardOf(tag)
  }
}

/**
 * `shards` grouped by the Redis master that holds them now (`masterOf`; those whose master is not
 * known yet form one group); on one Redis, one group. Gateways send batches to the groups in turn
 * and to a group's shards in turn, so every master gets an equal share of batches however many
 * shards it holds (4 shards on 3 masters: a third each, not a quarter, a half, a quarter), and a
 * shard gets 1 / (groups × its group's size) of them; workers size each shard's concurrency by it.
 */
export const shardsByMaster = <S>(shards: readonly S[], masterOf: (shard: S) => string | undefined): S[][] => {
  const byMaster = new Map<string | undefined, S[]>()
  for (const shard of shards) {
    const master = masterOf(shard)
    byMaster.set(master, [...(byMaster.get(master) ?? []), shard])
  }
  return [...byMaster.values()]
}

/** The `count` shards a gateway writes to with CONVERSION_QUEUE_SHARDS=count. */
export const conversionShards = (count: number): ConversionShard[] => Array.from({ length: count }, (_, index) => conversionShard(index, count))

/** The shard of a prefix read back from the registry (CONVERSION_SHARD_REGISTRY), or undefined for a value that is not a shard's prefix. */
export const conversionShardOfPrefix = (prefix: string): ConversionShard | undefined => {
  const tag = /^\{(conversions-\d+\.\d+\.\d+)\}$/.exec(prefix)?.[1]
  return tag === undefined ? undefined : shardOf(tag)
}

/**
 * Sorted set of the shard prefixes gateways write to, each scored with the time (ms) a gateway last
 * said so. Analytics workers consume every shard in it besides their own, so batches in a shard no
 * longer written to (CONVERSION_QUEUE_SHARDS changed) are still stored; a shard no gateway named
 * for CONVERSION_SHARD_RETIRE_MS and whose queue is empty is dropped from it.
 */
export const CONVERSION_SHARD_REGISTRY = 'conversions:shards'
/** How often each gateway names its shards in CONVERSION_SHARD_REGISTRY. */
export const CONVERSION_SHARD_ANNOUNCE_MS = 10_000
/** A shard no gateway named for this long, with an empty queue, is no longer consumed. */
export const CONVERSION_SHARD_RETIRE_MS = 60_000
