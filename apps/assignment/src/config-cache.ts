import { AssignmentConfig, CONFIG_CHANNEL, isLive, redisKeys } from '@experiments/contracts'
import { bucketRangesFromSplits, type BucketRange } from '@experiments/bucketing'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import { Value } from 'typebox/value'
import { createMissCache } from './missing-in-redis.js'
import { reloadOnReconnect } from './reload-on-reconnect.js'

export { redisRestoring } from './missing-in-redis.js'

type VariantView = { id: string; name: string; flowId: string | null; config: Record<string, unknown> }

/** A published config with what every request needs precomputed. */
export type CachedExperiment = {
  config: AssignmentConfig
  ranges: BucketRange[]
  variants: VariantView[]
  /** The variant a sticky map value (a variant's position) names. */
  storedVariant: (stored: string) => VariantView | undefined
}

const POSITION = /^\d+$/

const prepare = (config: AssignmentConfig): CachedExperiment => {
  const variants = config.variants.map(({ id, name, flowId, config: variantConfig }) => ({ id, name, flowId, config: variantConfig }))
  return {
    config,
    ranges: bucketRangesFromSplits(config.variants.map((v) => v.splitPercentage)),
    variants,
    storedVariant: (stored) => (POSITION.test(stored) ? variants[Number(stored)] : undefined),
  }
}

/**
 * Every published experiment config, held in process. Filled from Redis at start and after every
 * reconnect, refreshed on the gateway's pub/sub announcements; an id seen for the first time is
 * looked up once (and remembered as unknown for a second, so bogus ids cost little).
 */
export const createConfigCache = async ({ redis, subscriber, log }: { redis: RedisClient; subscriber: RedisClient; log: FastifyBaseLogger }) => {
  const byId = new Map<string, CachedExperiment>()
  const byTenant = new Map<string, Map<string, CachedExperiment>>()
  /** Tenant id → how many of its configs have changed here: what derived per-tenant views compare to know they are stale. */
  const changesByTenant = new Map<string, number>()
  const misses = createMissCache(redis)

  const parse = (id: string, json: string): AssignmentConfig | undefined => {
    try {
      const config: unknown = JSON.parse(json)
      if (Value.Check(AssignmentConfig, config)) return config
    } catch {
      // fall through
    }
    log.error({ experimentId: id }, 'ignoring a malformed assignment config in Redis')
    return undefined
  }

  const put = (config: AssignmentConfig) => {
    const current = byId.get(config.id)
    misses.forget(config.id)
    if (current && current.config.version > config.version) return
    // A draft is read again on every request, unchanged: only a new version is a change.
    if (current?.config.version !== config.version) changesByTenant.set(config.tenantId, (changesByTenant.get(config.tenantId) ?? 0) + 1)
    const prepared = prepare(config)
    byId.set(config.id, prepared)
    let tenantExperiments = byTenant.get(config.tenantId)
    if (!tenantExperiments) {
      tenantExperiments = new Map()
      byTenant.set(config.tenantId, tenantExperiments)
    }
    tenantExperiments.set(config.id, prepared)
  }

  // Experiments are never deleted, so a config missing from Redis was lost with Redis's data: the
  // one in memory stays until the analytics worker has put it back.
  const refresh = async (id: string) => {
    const json = await redis.hget(redisKeys.configs, id)
    const config = json === null ? undefined : parse(id, json)
    if (config) put(config)
    return byId.get(id)
  }

  const reloadAll = async () => {
    let cursor = '0'
    let seen = 0
    do {
      const [next, entries] = await redis.hscan(redisKeys.configs, cursor, 'COUNT', 500)
      cursor = next
      for (let i = 0; i < entries.length; i += 2) {
        const config = parse(entries[i]!, entries[i + 1]!)
        if (config) {
          put(config)
          seen++
        }
      }
    } while (cursor !== '0')
    log.info({ experiments: seen, held: byId.size }, 'assignment configs loaded')
  }

  // The subscriber connection is shared: other channels' messages are someone else's.
  subscriber.on('message', (channel: string, id: string) => {
    if (channel !== CONFIG_CHANNEL) return
    refresh(id).catch((err) => log.warn({ err, experimentId: id }, 'config refresh failed'))
  })
  reloadOnReconnect(subscriber, reloadAll, (err) => log.warn({ err }, 'config reload failed'))
  await subscriber.subscribe(CONFIG_CHANNEL)
  await reloadAll()

  return {
    /**
     * The experiment's config, from memory or (first sight) from Redis; undefined when it does not
     * exist. A draft's is read again every time: it may have started a moment ago, before this
     * replica heard the announcement, and a client that saw the start succeed must not be told
     * not_running. Drafts take no traffic worth caching.
     */
    get: async (id: string): Promise<CachedExperiment | undefined> => {
      const cached = byId.get(id)
      if (cached?.config.status === 'draft') return refresh(id)
      if (cached) return cached
      if (misses.recentlyMissed(id)) return undefined
      return (await refresh(id)) ?? misses.missed(id, `experiment ${id}`)
    },
    /** Running and stopped experiments of a tenant: those that can answer with a variant. */
    liveOf: (tenantId: string): CachedExperiment[] => {
      const live: CachedExperiment[] = []
      for (const experiment of byTenant.get(tenantId)?.values() ?? []) {
        if (isLive(experiment.config.status)) live.push(experiment)
      }
      return live
    },
    /** Every experiment of a tenant, whatever its status. */
    allOf: (tenantId: string): CachedExperiment[] => [...(byTenant.get(tenantId)?.values() ?? [])],
    /** A number that changes whenever a config of the tenant does (0 before any). */
    changesOf: (tenantId: string): number => changesByTenant.get(tenantId) ?? 0,
    reloadAll,
  }
}
export type ConfigCache = Awaited<ReturnType<typeof createConfigCache>>
