import { Cluster } from 'ioredis'
import type { RedisClient } from './connect.js'
import { keySlot } from './key-slot.js'

/**
 * The node ("host:port") that serves writes of `key` now: one Redis's own address, or on a cluster
 * the master of the key's slot as the client last read it (undefined while it does not know).
 */
export const masterOfKey = (client: RedisClient, key: string): string | undefined =>
  client instanceof Cluster ? client.slots[keySlot(key)]?.[0] : `${client.options.host}:${client.options.port}`

/**
 * Calls `listener` each time a cluster client has re-read which master serves which slot (at
 * connect, after a failover or a resharding); never for one Redis. Returns a function that stops.
 */
export const onSlotMastersRead = (client: RedisClient, listener: () => void): (() => void) => {
  if (!(client instanceof Cluster)) return () => {}
  client.on('refresh', listener)
  return () => client.off('refresh', listener)
}
