import { redisKeys, SDK_KEYS_CHANNEL } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import { createMissCache } from './missing-in-redis.js'
import { reloadOnReconnect } from './reload-on-reconnect.js'

/** `sdk-` and 20 to 96 URL-safe characters: the form of every key the gateway issues. */
const CLIENT_KEY = /^sdk-[A-Za-z0-9_-]{20,96}$/

/** Whether `text` has the form of an SDK client key (anything else is unknown without asking Redis). */
export const isClientKeyForm = (text: string) => CLIENT_KEY.test(text)

/**
 * The SDK client key → tenant map of every SDK connection not revoked, held in process. Filled from
 * Redis at start and after every reconnect of the subscriber, kept current by the gateway's
 * announcements (a key created or revoked); a key seen for the first time is looked up once (and
 * remembered as unknown for a second, so bogus keys cost little).
 */
export const createClientKeyCache = async ({ redis, subscriber, log }: { redis: RedisClient; subscriber: RedisClient; log: FastifyBaseLogger }) => {
  let tenantByKey = new Map<string, string>()
  const misses = createMissCache(redis)
  /**
   * One set per reload under way: the keys learnt one by one meanwhile. What they say is newer than
   * what the reload's scan may have read, so it wins over the scan.
   */
  const learntDuringReloads = new Set<Set<string>>()

  const learn = (clientKey: string, tenantId: string | null) => {
    if (tenantId === null) tenantByKey.delete(clientKey)
    else tenantByKey.set(clientKey, tenantId)
    for (const learnt of learntDuringReloads) learnt.add(clientKey)
  }

  const lookUp = async (clientKey: string) => {
    const tenantId = await redis.hget(redisKeys.sdkClientKeys, clientKey)
    learn(clientKey, tenantId)
    return tenantId ?? undefined
  }

  // The whole map is replaced, so keys revoked while the subscriber was away go too.
  const reloadAll = async () => {
    const learnt = new Set<string>()
    learntDuringReloads.add(learnt)
    try {
      const scanned = new Map<string, string>()
      let cursor = '0'
      do {
        const [next, entries] = await redis.hscan(redisKeys.sdkClientKeys, cursor, 'COUNT', 500)
        cursor = next
        for (let i = 0; i < entries.length; i += 2) scanned.set(entries[i]!, entries[i + 1]!)
      } while (cursor !== '0')
      for (const clientKey of learnt) {
        const tenantId = tenantByKey.get(clientKey)
        if (tenantId === undefined) scanned.delete(clientKey)
        else scanned.set(clientKey, tenantId)
      }
      tenantByKey = scanned
    } finally {
      learntDuringReloads.delete(learnt)
    }
    log.info({ clientKeys: tenantByKey.size }, 'SDK client keys loaded')
  }

  // The subscriber connection is shared: other channels' messages are someone else's.
  subscriber.on('message', (channel: string, clientKey: string) => {
    if (channel !== SDK_KEYS_CHANNEL) return
    // A revocation counts from its announcement: the key stops working before Redis has answered.
    learn(clientKey, null)
    misses.forget(clientKey)
    lookUp(clientKey).catch((err) => log.warn({ err }, 'SDK client key refresh failed'))
  })
  reloadOnReconnect(subscriber, reloadAll, (err) => log.warn({ err }, 'SDK client key reload failed'))
  await subscriber.subscribe(SDK_KEYS_CHANNEL)
  await reloadAll()

  return {
    /** The tenant of a well-formed client key, from memory or (first sight) from Redis; undefined when unknown or revoked. */
    tenantOf: async (clientKey: string): Promise<string | undefined> => {
      const tenantId = tenantByKey.get(clientKey)
      if (tenantId !== undefined) return tenantId
      if (misses.recentlyMissed(clientKey)) return undefined
      return (await lookUp(clientKey)) ?? misses.missed(clientKey, 'this SDK client key')
    },
  }
}
export type ClientKeyCache = Awaited<ReturnType<typeof createClientKeyCache>>
