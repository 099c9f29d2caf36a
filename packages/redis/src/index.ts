import { Redis, type RedisOptions } from 'ioredis'

/**
 * Connects to REDIS_URL and resolves once the connection is up. Commands issued while Redis is
 * unreachable fail at once rather than queueing, so callers can answer 503 instead of hanging.
 *
 * A connection that serves requests also passes `commandTimeout` (REDIS_COMMAND_TIMEOUT_MS): a
 * command Redis has not answered by then rejects with ioredis's `Error('Command timed out')`, so
 * a stalled Redis (CLIENT PAUSE, a partition without a reset) cannot hang a request. The command
 * has been sent and may still run on Redis afterwards: callers must treat its outcome as unknown.
 * Never on a pub/sub subscriber (it waits for messages) nor a BullMQ blocking connection (see
 * blockingRedis).
 * @example connectRedis(env.REDIS_URL, { connectionName: 'gateway', commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS })
 */
export const connectRedis = async (url: string, options: RedisOptions = {}): Promise<Redis> => {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    ...options,
  })
  redis.on('error', () => {
    // Reconnection is automatic; failures surface on the commands that need Redis.
  })
  await redis.connect()
  return redis
}

export { Redis }

/**
 * A connection for BullMQ workers and queue events: they block on Redis and must wait out a
 * restart rather than fail, so commands are retried without limit and never time out (a
 * commandTimeout would cut their blocking reads short). Attach an 'error' listener.
 */
export const blockingRedis = (url: string, connectionName: string): Redis => new Redis(url, { maxRetriesPerRequest: null, connectionName })

/**
 * Returns `hold()`: call it before sending commands on `redis`. Everything written to the
 * connection during the current turn of the event loop, by any number of requests, stays in the
 * socket's buffer (cork) and leaves in the check phase as one writev: one system call for all of
 * them instead of one each. ioredis's own auto-pipelining flushes on process.nextTick, which runs
 * between two sockets' callbacks, so under HTTP load it rarely groups anything.
 */
export const coalescedWrites = (redis: Redis) => {
  let held: Redis['stream'] | undefined
  const release = () => {
    const stream = held
    held = undefined
    stream?.uncork()
  }
  return {
    hold: () => {
      if (held || redis.status !== 'ready') return
      held = redis.stream
      held.cork()
      setImmediate(release)
    },
  }
}
