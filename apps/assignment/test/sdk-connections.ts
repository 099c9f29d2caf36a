import { randomBytes } from 'node:crypto'
import { redisKeys, SDK_KEYS_CHANNEL } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { TestAssignment } from './helpers.js'

/** A client key of the form the gateway issues: `sdk-` and 24 URL-safe characters. */
export const aClientKey = () => `sdk-${randomBytes(18).toString('base64url')}`

/** What the gateway's POST /api/sdk-connections writes to Redis and announces (it stands in for it). */
export const createSdkConnection = async (redis: RedisClient, tenantId: string, clientKey = aClientKey()) => {
  await redis.hset(redisKeys.sdkClientKeys, clientKey, tenantId)
  await redis.publish(SDK_KEYS_CHANNEL, clientKey)
  return clientKey
}

/** What the gateway's DELETE /api/sdk-connections/:id does to Redis. */
export const revokeSdkConnection = async (redis: RedisClient, clientKey: string) => {
  await redis.hdel(redisKeys.sdkClientKeys, clientKey)
  await redis.publish(SDK_KEYS_CHANNEL, clientKey)
}

/** GET /api/features/:clientKey, as an SDK fetches its payload. */
export const fetchFeatures = (svc: Pick<TestAssignment, 'app'>, clientKey: string, headers: Record<string, string> = {}) =>
  svc.app.inject({ method: 'GET', url: `/api/features/${encodeURIComponent(clientKey)}`, headers })
