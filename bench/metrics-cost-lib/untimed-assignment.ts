/**
 * The baseline of bench/metrics-cost.ts: the assignment service as its server.ts runs it, with
 * request timing off (`metrics: { requestDurations: false }`), the one difference.
 */
import { buildApp } from '@experiments/assignment'
import { loadEnvOrExit, redisTargetOf } from '@experiments/config'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'

const env = loadEnvOrExit({ jwt: true })
const redisTarget = redisTargetOf(env)
const redis = await connectRedis(redisTarget, { connectionName: 'assignment', commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS })
const subscriber = await connectRedis(redisTarget, { connectionName: 'assignment-config', enableOfflineQueue: true })
const app = await buildApp({
  redis,
  subscriber,
  auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY },
  logLevel: env.LOG_LEVEL,
  metrics: { requestDurations: false },
})
app.addHook('onClose', async () => {
  await Promise.all([redis.quit(), subscriber.quit()])
})
await listenUntilSignalled(app, { host: env.HOST, port: env.ASSIGNMENT_PORT })
