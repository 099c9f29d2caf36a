import { connect, createServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testRedisUrl } from '../../../test-support/context.js'
import { connectRedis } from '../src/index.js'

/**
 * A TCP proxy to the test Redis whose `stall()` holds the commands sent through it without closing
 * anything, as a network partition without a reset does, and whose `resume()` passes them on. The
 * shared test Redis itself is never paused: other test files use it at the same time.
 */
const stallingProxy = async (target: URL) => {
  const sockets: Socket[] = []
  const held: { upstream: Socket; data: Buffer }[] = []
  let stalled = false
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    sockets.push(client, upstream)
    client.on('data', (data) => (stalled ? held.push({ upstream, data }) : upstream.write(data)))
    upstream.on('data', (data) => client.write(data))
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    stall: () => {
      stalled = true
    },
    resume: () => {
      stalled = false
      for (const { upstream, data } of held.splice(0)) upstream.write(data)
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('connectRedis with commandTimeout', () => {
  let proxy: Awaited<ReturnType<typeof stallingProxy>>
  const key = `test:command-timeout:${process.pid}`
  beforeAll(async () => {
    proxy = await stallingProxy(new URL(testRedisUrl()))
  })
  afterAll(async () => {
    proxy.resume()
    await proxy.close()
  })

  it('rejects a command Redis does not answer with "Command timed out" once the timeout has passed', async () => {
    const redis = await connectRedis(proxy.url, { commandTimeout: 200 })
    try {
      proxy.stall()
      const started = Date.now()
      await expect(redis.get(key)).rejects.toThrow(/^Command timed out$/)
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(190)
      expect(elapsed).toBeLessThan(500)
    } finally {
      proxy.resume()
      redis.disconnect()
    }
  })

  it('still runs a timed-out command once Redis hears it, and later replies still match their commands', async () => {
    const redis = await connectRedis(proxy.url, { commandTimeout: 200 })
    try {
      await redis.del(key)
      proxy.stall()
      await expect(redis.incrby(key, 5)).rejects.toThrow(/^Command timed out$/)
      proxy.resume()
      // The INCRBY ran after its caller was told it timed out; its late reply is dropped, not given to the GET.
      expect(await redis.get(key)).toBe('5')
      expect(await redis.incrby(key, 1)).toBe(6)
    } finally {
      await redis.del(key)
      redis.disconnect()
    }
  })

  it('leaves a connection without commandTimeout waiting, as a pub/sub subscriber or BullMQ blocking reads need', async () => {
    const redis = await connectRedis(proxy.url)
    try {
      proxy.stall()
      const reply = redis.ping()
      const first = await Promise.race([reply, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 400))])
      expect(first).toBe('still waiting')
      proxy.resume()
      expect(await reply).toBe('PONG')
    } finally {
      redis.disconnect()
    }
  })
})
