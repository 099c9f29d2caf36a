import { Cluster, type Redis } from 'ioredis'
import { masterOfKey } from './slot-masters.js'
import type { RedisClient } from './connect.js'

/** A write whose replicas did not confirm it in time: it may vanish if its master dies, so it must not be acknowledged. */
export class ReplicasDidNotConfirm extends Error {
  override readonly name = 'ReplicasDidNotConfirm'
}

export type ReplicaAckOptions = {
  /** Replicas that must hold a write before it is acknowledged (REDIS_MIN_REPLICAS_ACK); 0 waits for none. */
  replicas: number
  /** How long to wait for them (REDIS_REPLICA_ACK_TIMEOUT_MS). */
  timeoutMs: number
}

/**
 * Waits, after a write, until `replicas` replicas hold it (Redis WAIT), so that a master dying
 * right after answering cannot lose a write a client was told is safe. WAIT counts the writes of
 * the connection it is sent on, so it goes on the connection that carried the write: the client's
 * own, or on a cluster the connection to the master of the key's slot. The writes of one turn of
 * the event loop share one WAIT per connection.
 *
 * Usage: `const ticket = acks.before(key)` just before sending the write, `await acks.confirm(ticket)`
 * once it was answered. On a cluster, a slot that moved to another master in between (a failover)
 * cannot be confirmed: the write may have gone to the master that died, and is refused as
 * unconfirmed rather than checked on a connection that never carried it.
 */
export const replicaAcks = (client: RedisClient, { replicas, timeoutMs }: ReplicaAckOptions) => {
  const waiting = new Map<Redis, { resolve: (n: number) => void; reject: (e: unknown) => void }[]>()

  const flush = (connection: Redis) => {
    const batch = waiting.get(connection) ?? []
    waiting.delete(connection)
    connection.wait(replicas, timeoutMs).then(
      (n) => {
        for (const w of batch) w.resolve(n)
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error)
      },
    )
  }

  const waitOn = (connection: Redis) =>
    new Promise<number>((resolve, reject) => {
      let batch = waiting.get(connection)
      if (!batch) {
        batch = []
        waiting.set(connection, batch)
        setImmediate(() => flush(connection))
      }
      batch.push({ resolve, reject })
    })

  /** The connection that carries writes of `key` now (undefined while a cluster does not know its slot's master). */
  const connectionFor = (key: string): Redis | undefined => {
    if (!(client instanceof Cluster)) return client
    const master = masterOfKey(client, key)
    return master === undefined ? undefined : client.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === master)
  }

  return {
    enabled: replicas > 0,
    /** Call just before sending a write of `key`. */
    before: (key: string) => (replicas > 0 ? { key, connection: connectionFor(key) } : undefined),
    /** Resolves once the write is on `replicas` replicas; rejects with ReplicasDidNotConfirm when it is not within the timeout. */
    confirm: async (ticket: { key: string; connection: Redis | undefined } | undefined) => {
      if (!ticket) return
      const { key, connection } = ticket
      if (!connection || connectionFor(key) !== connection) {
        throw new ReplicasDidNotConfirm(`the Redis master of ${key} changed during the write; it cannot be confirmed on ${replicas} replica(s)`)
      }
      const confirmed = await waitOn(connection)
      if (confirmed < replicas) {
        throw new ReplicasDidNotConfirm(`the write reached ${confirmed} of ${replicas} Redis replica(s) within ${timeoutMs} ms`)
      }
    },
  }
}
export type ReplicaAcks = ReturnType<typeof replicaAcks>
