import { AssignmentConfig, redisKeys, type ConfigPublisher } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import { Value } from 'typebox/value'
import type { AssignmentStore } from './assignment-store.js'

/** A config in Redis this much newer than PostgreSQL's row may belong to a change still being committed. */
const IN_FLIGHT_MS = 60_000

const parsed = (json: string | null): AssignmentConfig | undefined => {
  if (json === null) return undefined
  try {
    const config: unknown = JSON.parse(json)
    return Value.Check(AssignmentConfig, config) ? config : undefined
  } catch {
    return undefined
  }
}

/**
 * Puts right a status key or config that disagrees with PostgreSQL for good. The gateway publishes
 * a lifecycle change before its transaction commits; when a Redis command of that publication
 * fails (timed out on a stalled Redis, a dropped connection) the transaction rolls back, but a
 * command Redis received may still run: a stop can leave the status key at `stopped` while
 * PostgreSQL says `running`. A disagreement seen on two checks in a row, with PostgreSQL's row
 * unchanged in between, is not a change being made: PostgreSQL's config is published again. What
 * Redis lost altogether is put back by the rebuild and the restore (rebuild.ts, redis-recovery.ts).
 */
export const createConfigResync = ({
  redis,
  store,
  publisher,
  log,
}: {
  redis: RedisClient
  store: AssignmentStore
  publisher: ConfigPublisher
  log: FastifyBaseLogger
}) => {
  /** Experiment id → the version (updated_at) of PostgreSQL's row when Redis was last seen to disagree. */
  const disagreeing = new Map<string, number>()

  return async () => {
    const rows = await store.unfinishedStatuses()
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const [statuses, configs] = await Promise.all([Promise.all(ids.map((id) => redis.get(redisKeys.status(id)))), redis.hmget(redisKeys.configs, ...ids)])
    const republished: string[] = []
    for (const [i, row] of rows.entries()) {
      const version = row.updated_at.getTime()
      const status = statuses[i]
      const config = parsed(configs[i] ?? null)
      const agrees = status === row.status && config?.status === row.status
      // Missing altogether is a loss, not a disagreement; a newer config is a change being made.
      if (agrees || status === null || !config || (config.version > version && Date.now() - config.version < IN_FLIGHT_MS)) {
        disagreeing.delete(row.id)
        continue
      }
      if (disagreeing.get(row.id) !== version) {
        disagreeing.set(row.id, version)
        continue
      }
      disagreeing.delete(row.id)
      const current = await store.configOf(row.id)
      if (!current || current.version !== version) continue
      log.warn(
        { experimentId: row.id, postgres: row.status, statusKey: status, config: config.status },
        'Redis disagreed with PostgreSQL on an experiment; publishing its config again',
      )
      await publisher.publish(current)
      republished.push(row.id)
    }
    return republished
  }
}
export type ConfigResync = ReturnType<typeof createConfigResync>
