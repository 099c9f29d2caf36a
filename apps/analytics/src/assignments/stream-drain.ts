import { ASSIGNMENT_STREAM_GROUP, isFinal, redisKeys } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import type { AssignmentStore, NewAssignment } from './assignment-store.js'

type StreamEntry = [id: string, fields: string[]]

const FAILURE_BACKOFF_MS = 10_000

export type DrainOptions = {
  redis: RedisClient
  store: AssignmentStore
  /** This worker's consumer name in the stream's consumer group; unique per process. */
  consumer: string
  log: FastifyBaseLogger
  batchSize?: number
  /** Entries another consumer left unacknowledged this long are taken over (that consumer likely died). */
  claimIdleMs?: number
  idleSleepMs?: number
}

const fieldsToAssignment = (experimentId: string, fields: string[]): NewAssignment => {
  const map: Record<string, string> = {}
  for (let i = 0; i < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!
  return { experimentId, userId: map.u!, variantId: map.v!, assignedAt: new Date(Number(map.t)) }
}

/**
 * Moves new assignments from the per-experiment Redis streams into PostgreSQL. An entry is
 * acknowledged (and deleted) only after the transaction that stored it committed; a worker that
 * dies before that leaves it pending, and another worker claims it after `claimIdleMs`. Storing is
 * idempotent, so an entry processed twice counts once.
 */
export const createAssignmentDrain = ({ redis, store, consumer, log, batchSize = 1000, claimIdleMs = 10_000, idleSleepMs = 100 }: DrainOptions) => {
  const groupsReady = new Set<string>()
  const failingUntil = new Map<string, number>()
  let running = false
  let loop: Promise<void> | undefined

  const ensureGroup = async (stream: string) => {
    if (groupsReady.has(stream)) return
    try {
      await redis.xgroup('CREATE', stream, ASSIGNMENT_STREAM_GROUP, '0', 'MKSTREAM')
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error
    }
    groupsReady.add(stream)
  }

  /**
   * Runs `read` on the stream's consumer group, creating the group first. A group Redis lost with
   * its data (NOGROUP) is created again and the read retried once.
   */
  const withGroup = async <T>(stream: string, read: () => Promise<T>): Promise<T> => {
    await ensureGroup(stream)
    try {
      return await read()
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOGROUP')) throw error
      groupsReady.delete(stream)
      await ensureGroup(stream)
      return read()
    }
  }

  const persist = async (experimentId: string, stream: string, entries: StreamEntry[]) => {
    if (entries.length === 0) return 0
    await store.record(entries.map(([, fields]) => fieldsToAssignment(experimentId, fields)))
    const ids = entries.map(([id]) => id)
    await redis.xack(stream, ASSIGNMENT_STREAM_GROUP, ...ids)
    await redis.xdel(stream, ...ids)
    return entries.length
  }

  /** Stores one batch of an experiment's stream: entries abandoned by dead consumers first, then new ones. */
  const drainOnce = async (experimentId: string): Promise<number> => {
    const stream = redisKeys.assignmentStream(experimentId)
    const [, claimed] = await withGroup(
      stream,
      async () => (await redis.xautoclaim(stream, ASSIGNMENT_STREAM_GROUP, consumer, claimIdleMs, '0', 'COUNT', batchSize)) as [string, StreamEntry[]],
    )
    const fromClaim = await persist(
      experimentId,
      stream,
      claimed.filter((e) => e[1] !== null),
    )
    if (fromClaim > 0) return fromClaim
    const read = await withGroup(
      stream,
      async () =>
        (await redis.xreadgroup('GROUP', ASSIGNMENT_STREAM_GROUP, consumer, 'COUNT', batchSize, 'STREAMS', stream, '>')) as [string, StreamEntry[]][] | null,
    )
    return persist(experimentId, stream, read?.[0]?.[1] ?? [])
  }

  /** Drains everything the stream holds now, including this consumer's own pending entries. */
  const drainFully = async (experimentId: string) => {
    const stream = redisKeys.assignmentStream(experimentId)
    let total = 0
    for (;;) {
      const [, claimed] = await withGroup(
        stream,
        async () => (await redis.xautoclaim(stream, ASSIGNMENT_STREAM_GROUP, consumer, 0, '0', 'COUNT', batchSize)) as [string, StreamEntry[]],
      )
      const n =
        (await persist(
          experimentId,
          stream,
          claimed.filter((e) => e[1] !== null),
        )) + (await drainOnce(experimentId))
      total += n
      if (n === 0) return total
    }
  }

  /**
   * Once a completed or archived experiment's stream is empty, nobody can be enrolled any more and
   * PostgreSQL holds every assignment: its sticky map, counts and stream are dropped from Redis
   * (participants are then read from PostgreSQL) and it is no longer drained.
   */
  const retireIfDone = async (experimentId: string) => {
    const status = await redis.get(redisKeys.status(experimentId))
    // Not "unless running": the gateway registers the stream just before the status turns running.
    if (status === null || !isFinal(status)) return
    if ((await redis.xlen(redisKeys.assignmentStream(experimentId))) > 0) return
    await redis.del(redisKeys.assignments(experimentId), redisKeys.counts(experimentId), redisKeys.assignmentStream(experimentId))
    await redis.srem(redisKeys.streams, experimentId)
  }

  /** One batch from every experiment's stream. A failing experiment is logged and skipped, never blocking the others. */
  const pass = async (): Promise<number> => {
    let total = 0
    for (const experimentId of await redis.smembers(redisKeys.streams)) {
      if ((failingUntil.get(experimentId) ?? 0) > Date.now()) continue
      try {
        if (await redis.exists(redisKeys.rebuildLock(experimentId))) continue
        const n = await drainOnce(experimentId)
        total += n
        if (n === 0) await retireIfDone(experimentId)
        failingUntil.delete(experimentId)
      } catch (err) {
        failingUntil.set(experimentId, Date.now() + FAILURE_BACKOFF_MS)
        log.warn({ err, experimentId }, `draining the assignment stream failed; its entries stay pending, next try in ${FAILURE_BACKOFF_MS} ms`)
      }
    }
    return total
  }

  return {
    drainOnce,
    drainFully,
    pass,
    start: () => {
      running = true
      loop = (async () => {
        while (running) {
          try {
            // A pass that found little waits a moment, so entries are drained in batches, not one by one.
            if ((await pass()) < batchSize / 2) await new Promise((r) => setTimeout(r, idleSleepMs))
          } catch (err) {
            log.warn({ err }, 'assignment drain pass failed; retrying')
            await new Promise((r) => setTimeout(r, 1000))
          }
        }
      })()
    },
    /** Finishes the batch in hand, then stops. */
    stop: async () => {
      running = false
      await loop
    },
  }
}
export type AssignmentDrain = ReturnType<typeof createAssignmentDrain>
