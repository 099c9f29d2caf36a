import { redisKeys } from '@experiments/contracts'
import { scrapedGauge, type Registry } from '@experiments/http'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Seconds the oldest assignment not yet in PostgreSQL has waited; 0 when none waits. The drain
 * deletes an entry once PostgreSQL holds it (stream-drain.ts), so the first entry of an
 * experiment's stream is its oldest not stored, delivered or not, and its id is the millisecond
 * Redis added it (XADD *). One XRANGE … COUNT 1 per stream: a single-key command, which a cluster
 * routes to the stream's node. Clamped at 0 should this host's clock lag Redis's.
 */
export const drainLagSeconds = async (redis: RedisClient, now = Date.now()) => {
  const experiments = await redis.smembers(redisKeys.streams)
  const firsts = await Promise.all(experiments.map((id) => redis.xrange(redisKeys.assignmentStream(id), '-', '+', 'COUNT', 1)))
  const oldest = firsts.reduce((min, entries) => (entries[0] ? Math.min(min, Number(entries[0][0].split('-')[0])) : min), now)
  return Math.max(0, now - oldest) / 1000
}

/** experiments_assignment_drain_lag_seconds, read on each scrape. */
export const drainLagGauge = (registry: Registry, redis: RedisClient, log: FastifyBaseLogger) =>
  scrapedGauge({
    registry,
    name: 'experiments_assignment_drain_lag_seconds',
    help: 'Age of the oldest assignment not yet stored in PostgreSQL (0 when the assignment streams are drained)',
    read: async () => [{ labels: {}, value: await drainLagSeconds(redis) }],
    log,
  })
