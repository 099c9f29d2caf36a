import { loadEnvOrExit, redisTargetOf } from '@experiments/config'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'
import { buildApp } from './app.js'

const env = loadEnvOrExit({ jwt: true })
// No auto-pipelining: it defers every command to the next tick, on every request;
// assign-script.ts coalesces the writes of each event-loop turn instead, without the delay.
// Every command of a request is bounded: a stalled Redis answers 503, not a hung request. The
// subscriber has no timeout: it waits for announcements, not answers.
const redisTarget = redisTargetOf(env)
const redis = await connectRedis(redisTarget, { connectionName: 'assignment', commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS })
const subscriber = await connectRedis(redisTarget, { connectionName: 'assignment-config', enableOfflineQueue: true })
const app = await buildApp({
  redis,
  subscriber,
  replicaAcks: { replicas: env.REDIS_MIN_REPLICAS_ACK, timeoutMs: env.REDIS_REPLICA_ACK_TIMEOUT_MS },
  auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY },
  logLevel: env.LOG_LEVEL,
  metrics: { token: env.METRICS_TOKEN },
})
app.addHook('onClose', async () => {
  await Promise.all([redis.quit(), subscriber.quit()])
})
await listenUntilSignalled(app, { host: env.HOST, port: env.ASSIGNMENT_PORT })
