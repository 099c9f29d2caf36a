import { loadEnvOrExit, redisTargetOf } from '@experiments/config'
import { createDb, migrateOrExit } from '@experiments/db'
import { listenUntilSignalled } from '@experiments/http'
import { blockingRedis, connectRedis, type RedisClient } from '@experiments/redis'
import { buildApp } from './app.js'

const env = loadEnvOrExit({ database: true, jwt: true })
// PostgreSQL unreachable (or a migration failing) is one line naming DATABASE_URL's host and exit 1:
// the orchestrator restarts the gateway with its own backoff.
await migrateOrExit('gateway', env.DATABASE_URL)
const db = createDb(env.DATABASE_URL)
// Every command of a request is bounded: a stalled Redis answers 503, not a hung request.
const redisTarget = redisTargetOf(env)
const redis = await connectRedis(redisTarget, { connectionName: 'gateway', commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS })
const blocking: RedisClient[] = []
const app = await buildApp({
  db,
  redis,
  blockingRedis: () => {
    const connection = blockingRedis(redisTarget, 'gateway-events')
    blocking.push(connection)
    return connection
  },
  conversionShards: env.CONVERSION_QUEUE_SHARDS,
  replicaAcks: { replicas: env.REDIS_MIN_REPLICAS_ACK, timeoutMs: env.REDIS_REPLICA_ACK_TIMEOUT_MS },
  limits: {
    maxEvents: env.INGEST_MAX_BACKLOG,
    maxRedisMemoryBytes: env.INGEST_MAX_REDIS_MEMORY_BYTES,
    computeTimeoutMs: env.COMPUTE_TIMEOUT_MS,
  },
  auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY },
  logLevel: env.LOG_LEVEL,
  metrics: { token: env.METRICS_TOKEN },
})
app.addHook('onClose', async () => {
  await Promise.all([db.destroy(), redis.quit(), ...blocking.map((c) => c.quit())])
})
await listenUntilSignalled(app, { host: env.HOST, port: env.GATEWAY_PORT })
