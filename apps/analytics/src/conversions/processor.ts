import { ConversionJob, conversionColumns, type ConversionShard } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { coalescedWrites, type RedisClient } from '@experiments/redis'
import type { Result } from 'ioredis'
import { UnrecoverableError, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import { Compile } from 'typebox/compile'
import { recordConversions, type JobEvents } from './conversion-store.js'
import { groupCommit } from './group-commit.js'
import { asJobFailure } from '../job-failures.js'

const COUNTED_TTL_SECONDS = 7 * 86400
// Mark the job's events as taken off its shard's backlog counter (so a retry does not take them
// off twice) and decrement it, in one call; both keys share the shard's hash tag.
const TAKE_OFF_BACKLOG_LUA = `if redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then
  return redis.call('DECRBY', KEYS[2], ARGV[2])
end
return false`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    takeOffBacklog(counted: string, backlog: string, ttlSeconds: number, events: number): Result<number | null, Context>
  }
}
// Compiled once: every job is checked on the worker's hot path, and interpreting the schema anew
// for each value of a job was a large part of the worker's time.
const conversionJob = Compile(ConversionJob)

/** The job's data, checked: a malformed job can never be stored, so it fails for good. */
const checkedJob = (data: unknown): ConversionJob => {
  if (conversionJob.Check(data)) return data
  const problem = conversionJob.Errors(data)[0]
  throw new UnrecoverableError(`malformed conversions job: ${problem?.instancePath} ${problem?.message}`)
}

// PostgreSQL's codes for a transaction it aborted because of a concurrent one: deadlock, serialization.
const CONFLICT_CODES = new Set(['40P01', '40001'])
const CONFLICT_ATTEMPTS = 5

/** Runs `work` again at once when PostgreSQL aborted it for a concurrent transaction, instead of waiting for BullMQ's backoff. */
const retryOnConflict = async <T>(work: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      const code = (error as { code?: string }).code
      if (!code || !CONFLICT_CODES.has(code) || attempt >= CONFLICT_ATTEMPTS) throw error
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt))
    }
  }
}

/** Events one statement takes at most, from however many jobs. */
const GROUP_MAX_EVENTS = 5000
/** Statements at once: each keeps a PostgreSQL backend busy; more only queue on a small server. */
const PARALLEL_STATEMENTS = 2

/**
 * Returns the processor of a shard's `conversions` jobs: it stores a job's events exactly once,
 * then lowers the shard's backlog counter. Jobs processed at the same time, by the workers of every
 * shard, are stored together, one statement per group (see groupCommit): each statement has a
 * cost of its own (planning, a round trip, a commit), which a statement of many jobs' events pays once.
 */
export const makeConversionProcessor = (deps: { db: Kysely<DB>; redis: RedisClient }) => {
  deps.redis.defineCommand('takeOffBacklog', { numberOfKeys: 2, lua: TAKE_OFF_BACKLOG_LUA })
  // Jobs of one group finish together: their backlog calls leave in one write.
  const writes = coalescedWrites(deps.redis)
  const storage = groupCommit<JobEvents, number>({
    store: (jobs) => retryOnConflict(() => recordConversions(deps.db, jobs)),
    sizeOf: (job) => job.events.eventIds.length,
    maxSize: GROUP_MAX_EVENTS,
    parallel: PARALLEL_STATEMENTS,
  })
  const processJob = async (shard: ConversionShard, job: Pick<Job<unknown>, 'id' | 'data'>) => {
    const data = checkedJob(job.data)
    const { tenantId } = data
    const columns = conversionColumns(data)
    if ('mismatch' in columns) throw new UnrecoverableError(`malformed conversions job: ${columns.mismatch}`)
    const count = columns.eventIds.length
    const stored = await storage.submit({ tenantId, events: columns })
    if (job.id) {
      writes.hold()
      await deps.redis.takeOffBacklog(shard.countedKey(job.id), shard.backlogKey, COUNTED_TTL_SECONDS, count)
    }
    return { stored, duplicates: count - stored }
  }
  // A failure that no retry fixes ends the job at once; any other is retried until the batch is stored.
  return (shard: ConversionShard) => async (job: Pick<Job<unknown>, 'id' | 'data'>) => {
    try {
      return await processJob(shard, job)
    } catch (error) {
      throw asJobFailure(error)
    }
  }
}
