import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testRedisUrl } from '../../../test-support/context.js'
import { coalescedWrites, connectRedis, isCluster, type Redis } from '../src/index.js'

describe('coalescedWrites', () => {
  let redis: Redis
  const key = `test:coalesced:${process.pid}`
  beforeAll(async () => {
    // One server's client: the test reads its connection's socket.
    const client = await connectRedis(testRedisUrl())
    if (isCluster(client)) throw new Error('coalescedWrites is tested on a single Redis server')
    redis = client
  })
  afterAll(async () => {
    await redis.del(key)
    await redis.quit()
  })

  it('holds every command of the current turn in the socket buffer and sends them together in the check phase', async () => {
    const writes = coalescedWrites(redis)
    writes.hold()
    const replies = [redis.incr(key), redis.incr(key)]
    writes.hold() // a second hold in the same turn changes nothing
    replies.push(redis.incr(key))
    expect(redis.stream.writableCorked).toBe(1)
    expect(redis.stream.writableLength).toBeGreaterThan(0)
    await new Promise((resolve) => setImmediate(resolve))
    expect(redis.stream.writableCorked).toBe(0)
    expect(await Promise.all(replies)).toEqual([1, 2, 3])
  })

  it('holds again in a later turn', async () => {
    const writes = coalescedWrites(redis)
    writes.hold()
    await new Promise((resolve) => setImmediate(resolve))
    writes.hold()
    expect(redis.stream.writableCorked).toBe(1)
    expect(await redis.incr(key)).toBe(4)
    expect(redis.stream.writableCorked).toBe(0)
  })

  it('does nothing on a connection that is not ready: commands fail at once instead of waiting', async () => {
    const closed = await connectRedis(testRedisUrl())
    closed.disconnect()
    const writes = coalescedWrites(closed)
    writes.hold()
    await expect(closed.incr(key)).rejects.toThrow(/enableOfflineQueue|Connection is closed/)
  })
})
