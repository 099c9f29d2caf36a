import type { RedisTarget } from '@experiments/config'
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'

/** A connection to the services' Redis: one server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster

/** The connections a client writes through: the client itself, or a cluster's connection to each master. */
export const nodeConnections = (client: RedisClient): Redis[] => (client instanceof Cluster ? client.nodes('master') : [client])

export const isCluster = (client: RedisClient): client is Cluster => client instanceof Cluster

type ConnectOptions = Pick<RedisOptions, 'connectionName' | 'commandTimeout' | 'maxRetriesPerRequest' | 'enableOfflineQueue' | 'lazyConnect'>

/**
 * A client for `target` with `options`. On a cluster, per-connection options go to each node's
 * connection (redisOptions) and the offline queue is the cluster's; a command for a node that just
 * died is sent again once a replica took over (ioredis retries for about a second and a half,
 * retryDelayOnFailover × maxRedirections), or fails by its commandTimeout, whichever comes first.
 */
export const redisClient = (target: RedisTarget | string, { enableOfflineQueue, lazyConnect, ...perConnection }: ConnectOptions = {}): RedisClient => {
  const resolved = typeof target === 'string' ? { url: target } : target
  if ('url' in resolved)
    return new Redis(resolved.url, {
      ...perConnection,
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(lazyConnect ? { lazyConnect } : {}),
    })
  const options: ClusterOptions = {
    redisOptions: perConnection,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    slotsRefreshTimeout: 2000,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect ? { lazyConnect } : {}),
  }
  return new Cluster(resolved.clusterNodes, options)
}

/**
 * Connects to the services' Redis (a URL, or a target from redisTargetOf) and resolves once the
 * connection is up. Commands issued while Redis is unreachable fail at once rather than queueing,
 * so callers can answer 503 instead of hanging.
 *
 * A connection that serves requests also passes `commandTimeout` (REDIS_COMMAND_TIMEOUT_MS): a
 * command Redis has not answered by then rejects with ioredis's `Error('Command timed out')`, so
 * a stalled Redis (CLIENT PAUSE, a partition without a reset) cannot hang a request. The command
 * has been sent and may still run on Redis afterwards: callers must treat its outcome as unknown.
 * Never on a pub/sub subscriber (it waits for messages) nor a BullMQ blocking connection (see
 * blockingRedis).
 * @example connectRedis(redisTargetOf(env), { connectionName: 'gateway', commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS })
 */
export const connectRedis = async (target: RedisTarget | string, options: ConnectOptions = {}): Promise<RedisClient> => {
  const client = redisClient(target, { enableOfflineQueue: false, maxRetriesPerRequest: 1, ...options, lazyConnect: true })
  client.on('error', () => {
    // Reconnection is automatic; failures surface on the commands that need Redis.
  })
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw error
  }
  return client
}

/**
 * A connection for BullMQ workers and queue events: they block on Redis and must wait out a
 * restart (or a failover) rather than fail, so commands are retried without limit and never time
 * out (a commandTimeout would cut their blocking reads short). Attach an 'error' listener.
 */
export const blockingRedis = (target: RedisTarget | string, connectionName: string): RedisClient =>
  redisClient(target, { maxRetriesPerRequest: null, connectionName, enableOfflineQueue: true })
