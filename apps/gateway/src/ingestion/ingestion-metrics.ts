import type { ConversionShard } from '@experiments/contracts'
import { Counter, scrapedGauge, type Registry } from '@experiments/http'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import { backlogEvents } from './backlog-guard.js'

const OUTCOMES = ['accepted', 'rejected'] as const

/**
 * experiments_conversion_events_total{outcome}: the events of every conversion batch answered,
 * accepted (202) or rejected (anything else: invalid, an unknown experiment, the backlog full,
 * Redis away; a batch is accepted or refused whole).
 */
export const conversionEventCounter = (registry: Registry) => {
  const events = new Counter({
    name: 'experiments_conversion_events_total',
    help: 'Conversion events received, by outcome: accepted (answered 202) or rejected (their batch refused)',
    labelNames: ['outcome'],
    registers: [registry],
  })
  for (const outcome of OUTCOMES) events.inc({ outcome }, 0)
  return {
    /** Counts the events of a batch request answered with `status`; `body` as parsed (none when refused before parsing). */
    count: (body: unknown, status: number) => {
      const batch = (body as { events?: unknown } | null | undefined)?.events
      if (Array.isArray(batch)) events.inc({ outcome: status === 202 ? 'accepted' : 'rejected' }, batch.length)
    },
  }
}
export type ConversionEventCounter = ReturnType<typeof conversionEventCounter>

/** experiments_conversion_backlog: events accepted into `shards` and not stored yet, read from their counters on each scrape. */
export const conversionBacklogGauge = (registry: Registry, redis: RedisClient, shards: ConversionShard[], log: FastifyBaseLogger) =>
  scrapedGauge({
    registry,
    name: 'experiments_conversion_backlog',
    help: "Conversion events enqueued and not yet stored: the sum of the gateway's conversion shards' backlog counters",
    read: async () => [{ labels: {}, value: await backlogEvents(redis, shards) }],
    log,
  })
