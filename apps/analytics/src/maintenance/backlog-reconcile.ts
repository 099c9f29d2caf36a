import type { RedisClient } from '@experiments/redis'
import { pendingJobs, type ShardQueue } from '../conversions/shard-consumers.js'

/**
 * Sets a shard's backlog counter back to zero when no conversions job of the shard is pending. The
 * count is exact while every counted batch's job gets stored, but a gateway that dies between
 * counting a batch and adding its job, or a job that fails for good, leaves events counted that no
 * worker will take off; left alone, that drift would hold ingestion at 429 for good. A batch
 * counted in the instant between the check and the reset is under-counted (by the batches in
 * flight then, in the lenient direction) until the shard next empties. Returns the count cleared
 * over every shard, or null while every shard has jobs pending.
 */
export const reconcileBacklog = async (shards: ShardQueue[], redis: RedisClient): Promise<number | null> => {
  let cleared: number | null = null
  for (const { shard, queue } of shards) {
    if ((await pendingJobs(queue)) > 0) continue
    cleared = (cleared ?? 0) + Number((await redis.set(shard.backlogKey, 0, 'GET')) ?? 0)
  }
  return cleared
}
