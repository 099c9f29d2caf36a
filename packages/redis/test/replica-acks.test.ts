import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, hasRedisServer, startPrivateRedis, startPrivateRedisCluster, type RunningRedis, type RunningRedisCluster } from '@experiments/devstack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, keySlot, replicaAcks, ReplicasDidNotConfirm, type Cluster, type RedisClient } from '../src/index.js'

const eventually = async (probe: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 10_000
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!hasRedisServer())('replicaAcks on one Redis with a replica', () => {
  let dir: string
  let master: RunningRedis
  let replica: RunningRedis
  let redis: RedisClient

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replica-acks-'))
    master = await startPrivateRedis({ dir: join(dir, 'master'), port: await freePort(), appendOnly: false })
    replica = await startPrivateRedis({ dir: join(dir, 'replica'), port: await freePort(), appendOnly: false })
    const toReplica = await connectRedis(replica.url)
    const { port } = new URL(master.url)
    await toReplica.replicaof('127.0.0.1', port)
    toReplica.disconnect()
    redis = await connectRedis(master.url)
    await eventually(async () => /slave0:.*state=online/.test(await redis.info('replication')), 'the replica to be in sync')
  })
  afterAll(async () => {
    process.kill(replica.pid, 'SIGCONT')
    redis?.disconnect()
    await replica?.stop()
    await master?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('with replicas 0, confirms at once without asking Redis', async () => {
    const acks = replicaAcks(redis, { replicas: 0, timeoutMs: 100 })
    expect(acks.enabled).toBe(false)
    expect(acks.before('k')).toBeUndefined()
    await expect(acks.confirm(acks.before('k'))).resolves.toBeUndefined()
  })

  it('confirms a write once the replica holds it, and the writes of one turn share one WAIT', async () => {
    const acks = replicaAcks(redis, { replicas: 1, timeoutMs: 500 })
    const before = Number(/cmdstat_wait:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0)
    const writes = Array.from({ length: 20 }, async (_, i) => {
      const ticket = acks.before(`acked:${i}`)
      await redis.set(`acked:${i}`, String(i))
      await acks.confirm(ticket)
    })
    await Promise.all(writes)
    const after = Number(/cmdstat_wait:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0)
    expect(after - before).toBeLessThan(20)
    expect(after - before).toBeGreaterThan(0)
  })

  it('refuses to confirm a write the replica did not acknowledge within the timeout', async () => {
    const acks = replicaAcks(redis, { replicas: 1, timeoutMs: 200 })
    process.kill(replica.pid, 'SIGSTOP')
    try {
      const ticket = acks.before('unacked')
      await redis.set('unacked', '1')
      const started = Date.now()
      const confirming = acks.confirm(ticket)
      await expect(confirming).rejects.toBeInstanceOf(ReplicasDidNotConfirm)
      await expect(confirming).rejects.toThrow('the write reached 0 of 1 Redis replica(s) within 200 ms')
      expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    } finally {
      process.kill(replica.pid, 'SIGCONT')
    }
  })

  it('cannot be satisfied by more replicas than there are', async () => {
    const acks = replicaAcks(redis, { replicas: 2, timeoutMs: 100 })
    const ticket = acks.before('two')
    await redis.set('two', '1')
    await expect(acks.confirm(ticket)).rejects.toThrow('reached 1 of 2')
  })
})

describe.skipIf(!hasRedisServer())('replicaAcks on a Redis Cluster', () => {
  let dir: string
  let cluster: RunningRedisCluster
  let redis: Cluster

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replica-acks-cluster-'))
    cluster = await startPrivateRedisCluster({ dir })
    redis = (await connectRedis({ clusterNodes: cluster.nodes })) as Cluster
    // The client connects to each master as it first needs it; the tests look at all three.
    await Promise.all(redis.nodes('master').map((node) => node.ping()))
    await eventually(async () => redis.nodes('master').length === 3, 'the client to know the 3 masters')
  }, 60_000)
  afterAll(async () => {
    redis?.disconnect()
    await cluster?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("confirms each write on its own slot's master, whichever master that is", async () => {
    // A generous wait: on a loaded 2-core machine a replica's acknowledgement can take longer than the 500 ms default.
    const acks = replicaAcks(redis, { replicas: 1, timeoutMs: 3000 })
    const keys = Array.from({ length: 30 }, (_, i) => `{tag-${i}}:value`)
    expect(new Set(keys.map((key) => redis.slots[keySlot(key)]![0])).size).toBe(3)
    await Promise.all(
      keys.map(async (key) => {
        const ticket = acks.before(key)
        await redis.set(key, '1')
        await acks.confirm(ticket)
      }),
    )
  })

  it('refuses a write whose slot changed master between the write and its confirmation', async () => {
    const acks = replicaAcks(redis, { replicas: 1, timeoutMs: 500 })
    const keys = Array.from({ length: 30 }, (_, i) => `{tag-${i}}:value`)
    const first = keys[0]!
    const elsewhere = keys.find((key) => redis.slots[keySlot(key)]![0] !== redis.slots[keySlot(first)]![0])!
    const ticket = acks.before(first)!
    await redis.set(first, '1')
    // As after a failover: the ticket names the connection the write went out on, the slot's master is now another.
    await expect(acks.confirm({ ...ticket, key: elsewhere })).rejects.toThrow(`the Redis master of ${elsewhere} changed during the write`)
  })
})
