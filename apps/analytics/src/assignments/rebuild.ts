import { readFileSync } from 'node:fs'
import { isFinal, redisKeys, type ConfigPublisher } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import type { Result } from 'ioredis'
import type { AssignmentStore } from './assignment-store.js'
import type { AssignmentDrain } from './stream-drain.js'

const resetCountsLua = readFileSync(new URL('./lua/reset-counts.lua', import.meta.url), 'utf8')
const stateLua = readFileSync(new URL('./lua/state.lua', import.meta.url), 'utf8')

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetCounts(counts: string, stream: string, ...variantCounts: string[]): Result<number, Context>
    experimentState(status: string, assignments: string, counts: string, lock: string): Result<[string, number, number, number], Context>
  }
}

const LOCK_MS = 5 * 60_000
// Lets a batch another worker read just before the lock was taken reach PostgreSQL first.
const IN_FLIGHT_GRACE_MS = 1000
const PAGE = 5000
/** An experiment the check finds wrong again this soon after its rebuild waits (a mismatch a rebuild cannot mend must not loop). */
const REBUILD_AGAIN_AFTER_MS = 60_000
const PARALLEL_REBUILDS = 8

type Deps = {
  redis: RedisClient
  store: AssignmentStore
  drain: AssignmentDrain
  publisher: ConfigPublisher
  log: FastifyBaseLogger
  graceMs?: number
}

/**
 * Why Redis's state of a live experiment cannot be right, or undefined. `participants` was read
 * from PostgreSQL before Redis was: every user PostgreSQL held then had been recorded in the sticky
 * map first, and the assign script records a user and counts them in one step, so in a Redis that
 * lost nothing the sticky map holds at least `participants` users and the counts add up to its size.
 */
const problemOf = (participants: number, [status, users, counted, locked]: [string, number, number, number], hasConfig: boolean) => {
  if (locked || isFinal(status)) return undefined
  if (status === '') return 'its status key is missing'
  if (!hasConfig) return 'its config is missing'
  if (users < participants) return `its sticky map holds ${users} users, PostgreSQL ${participants}`
  if (counted !== users) return `its counts add up to ${counted}, its sticky map holds ${users} users`
  return undefined
}

/**
 * Rebuilds what Redis holds for an experiment from PostgreSQL, the system of record: its sticky map
 * (users keep the variant PostgreSQL has), its participant counts, then its config and status key.
 * The sticky map is restored before the stream is drained and counts are reset, so users who
 * returned meanwhile (and were re-recorded by the hash, to the same variant) are not counted twice;
 * the status key comes last, so after a total loss no returning user is enrolled again before
 * their recorded variant is back (the assignment service answers 503 until then).
 */
export const createRebuilder = ({ redis, store, drain, publisher, log, graceMs = IN_FLIGHT_GRACE_MS }: Deps) => {
  redis.defineCommand('resetCounts', { numberOfKeys: 2, lua: resetCountsLua })
  redis.defineCommand('experimentState', { numberOfKeys: 4, lua: stateLua })
  const rebuiltAt = new Map<string, number>()

  const rebuild = async (experimentId: string) => {
    const lock = redisKeys.rebuildLock(experimentId)
    if ((await redis.set(lock, '1', 'PX', LOCK_MS, 'NX')) === null) return false
    try {
      await new Promise((r) => setTimeout(r, graceMs))
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
      const config = await store.configOf(experimentId)
      if (config) await publisher.restore(config)
      rebuiltAt.set(experimentId, Date.now())
      log.info({ experimentId, restored, pending }, 'rebuilt sticky assignments, counts and config from PostgreSQL')
      return true
    } finally {
      await redis.del(lock)
    }
  }

  /**
   * Checks every running or stopped experiment's Redis state against PostgreSQL (see problemOf) and
   * rebuilds those that lost something, each on its own: one that fails is logged and left for the
   * next check, never stopping the others. `force` rebuilds without waiting for an earlier rebuild
   * to age. Also makes sure the stream of each is registered for draining. Returns the rebuilt ids.
   */
  const reconcile = async ({ force = false } = {}) => {
    const live = await store.liveParticipants()
    if (live.length === 0) return []
    const ids = live.map((e) => e.id)
    await redis.sadd(redisKeys.streams, ...ids)
    const [states, configs] = await Promise.all([
      Promise.all(ids.map((id) => redis.experimentState(redisKeys.status(id), redisKeys.assignments(id), redisKeys.counts(id), redisKeys.rebuildLock(id)))),
      redis.hmget(redisKeys.configs, ...ids),
    ])
    const due = live.flatMap(({ id, participants }, i) => {
      const problem = problemOf(participants, states[i]!, configs[i] !== null)
      if (!problem || (!force && Date.now() - (rebuiltAt.get(id) ?? 0) < REBUILD_AGAIN_AFTER_MS)) return []
      log.warn({ experimentId: id, problem }, "Redis lost part of an experiment's state; rebuilding it from PostgreSQL")
      return [id]
    })
    const rebuilt: string[] = []
    // A few at a time: each waits its in-flight grace first.
    for (let i = 0; i < due.length; i += PARALLEL_REBUILDS) {
      await Promise.all(
        due.slice(i, i + PARALLEL_REBUILDS).map(async (id) => {
          try {
            if (await rebuild(id)) rebuilt.push(id)
          } catch (err) {
            log.warn({ err, experimentId: id }, 'rebuilding an experiment failed; the next check retries')
          }
        }),
      )
    }
    return rebuilt
  }

  return { rebuild, reconcile }
}
export type Rebuilder = ReturnType<typeof createRebuilder>
