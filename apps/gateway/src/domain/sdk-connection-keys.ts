import { randomBytes } from 'node:crypto'
import { redisKeys, SDK_KEYS_CHANNEL } from '@experiments/contracts'
import type { RedisClient, ReplicaAcks } from '@experiments/redis'

/** 18 bytes: 144 random bits, exactly 24 base64url characters (no padding). */
const CLIENT_KEY_BYTES = 18

/** A new SDK client key such as `sdk-Xq3f_9…`: `sdk-` and 24 base64url characters, safe in a URL path. */
export const newClientKey = () => `sdk-${randomBytes(CLIENT_KEY_BYTES).toString('base64url')}`

/**
 * The client keys in Redis, where the assignment service resolves them to their tenant
 * (redisKeys.sdkClientKeys), each change announced on SDK_KEYS_CHANNEL so that its replicas reload
 * the key. With REDIS_MIN_REPLICAS_ACK a change is announced, and resolves, only once replicas hold
 * it; otherwise it rejects (ReplicasDidNotConfirm).
 */
export const clientKeyRegistry = (redis: RedisClient, acks: ReplicaAcks) => {
  const change = async (clientKey: string, write: () => Promise<unknown>) => {
    const ticket = acks.before(redisKeys.sdkClientKeys)
    await write()
    await acks.confirm(ticket)
    await redis.publish(SDK_KEYS_CHANNEL, clientKey)
  }
  return {
    add: (clientKey: string, tenantId: string) => change(clientKey, () => redis.hset(redisKeys.sdkClientKeys, clientKey, tenantId)),
    remove: (clientKey: string) => change(clientKey, () => redis.hdel(redisKeys.sdkClientKeys, clientKey)),
  }
}
export type ClientKeyRegistry = ReturnType<typeof clientKeyRegistry>
