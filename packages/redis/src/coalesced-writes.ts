import type { RedisClient } from './connect.js'
import { nodeConnections } from './connect.js'

type Stream = { cork: () => void; uncork: () => void }

/**
 * Returns `hold()`: call it before sending commands on `client`. Everything written to its
 * connections during the current turn of the event loop, by any number of requests, stays in the
 * sockets' buffers (cork) and leaves in the check phase as one writev per connection: one system
 * call for all of them instead of one each. ioredis's own auto-pipelining flushes on
 * process.nextTick, which runs between two sockets' callbacks, so under HTTP load it rarely groups
 * anything. On a cluster, every master's connection is held.
 */
export const coalescedWrites = (client: RedisClient) => {
  let held: Stream[] = []
  const release = () => {
    const streams = held
    held = []
    for (const stream of streams) stream.uncork()
  }
  return {
    hold: () => {
      if (held.length > 0) return
      for (const connection of nodeConnections(client)) {
        if (connection.status !== 'ready') continue
        connection.stream.cork()
        held.push(connection.stream)
      }
      if (held.length > 0) setImmediate(release)
    },
  }
}
