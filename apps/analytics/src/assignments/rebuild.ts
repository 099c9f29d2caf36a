import { readFileSync } from 'node:fs'
import { redisKeys } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import type { Result } from 'ioredis'
import type { AssignmentStore } from './assignment-store.js'
import type { AssignmentDrain } from './stream-drain.js'

const resetCountsLua = readFileSync(new URL('./lua/reset-counts.lua', import.meta.url), 'utf8')

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetCounts(counts: string, stream: string, ...variantCounts: string[]): Result<number, Context>
  }
}

const LOCK_MS = 5 * 60_000
// Lets a batch another worker read just before the lock was taken reach PostgreSQL first.
const IN_FLIGHT_GRACE_MS = 1000
const PAGE = 5000

type Deps = { redis: Redis; store: AssignmentStore; drain: AssignmentDrain; log: FastifyBaseLogger; graceMs?: number }

/**
 * Rebuilds what Redis holds for an experiment from PostgreSQL, the system of record: its status
 * key, its sticky map (users keep the variant PostgreSQL has) and its participant counts.
 * The sticky map is restored before the stream is drained and counts are reset, so users who
 * returned meanwhile (and were re-recorded by the hash, to the same variant) are not counted twice.
 */
export const createRebuilder = ({ redis, store, drain, log, graceMs = IN_FLIGHT_GRACE_MS }: Deps) => {
  redis.defineCommand('resetCounts', { numberOfKeys: 2, lua: resetCountsLua })

  const rebuild = async (experimentId: string) => {
    const lock = redisKeys.rebuildLock(experimentId)
    if ((await redis.set(lock, '1', 'PX', LOCK_MS, 'NX')) === null) return false
    try {
      await new Promise((r) => setTimeout(r, graceMs))
      const status = await store.statusOf(experimentId)
      if (status) await redis.set(redisKeys.status(experimentId), status, 'NX')

      let after = ''
      let restored = 0
      for (;;) {
        const page = await store.pageAfter(experimentId, after, PAGE)
        if (page.length === 0) break
        const pipeline = redis.pipeline()
        for (const row of page) pipeline.hsetnx(redisKeys.assignments(experimentId), row.user_id, String(row.position))
        await pipeline.exec()
        restored += page.length
        after = page[page.length - 1]!.user_id
      }

      await drain.drainFully(experimentId)
      const participants = await store.participantsByVariant(experimentId)
      const pending = await redis.resetCounts(
        redisKeys.counts(experimentId),
        redisKeys.assignmentStream(experimentId),
        ...[...participants].flatMap(([variant, n]) => [variant, String(n)]),
      )
      log.info({ experimentId, restored, pending }, 'rebuilt sticky assignments and counts from PostgreSQL')
      return true
    } finally {
      await redis.del(lock)
    }
  }

  /**
   * Rebuilds every running or stopped experiment whose sticky map or counts are missing from Redis,
   * and makes sure the stream of each is registered for draining.
   */
  const rebuildMissing = async () => {
    const rebuilt: string[] = []
    const live = await store.liveExperimentIds()
    if (live.length > 0) await redis.sadd(redisKeys.streams, ...live)
    for (const experimentId of live) {
      const present = await redis.exists(redisKeys.counts(experimentId), redisKeys.assignments(experimentId))
      if (present === 2) continue
      if ((await store.participantsByVariant(experimentId)).size === 0) continue
      if (await rebuild(experimentId)) rebuilt.push(experimentId)
    }
    return rebuilt
  }

  return { rebuild, rebuildMissing }
}
export type Rebuilder = ReturnType<typeof createRebuilder>
