import { loadEnvOrExit } from '@experiments/config'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'
import { buildApp } from './app.js'

const env = loadEnvOrExit({ jwt: true })
// Auto-pipelining sends the script calls of one batch request (and of concurrent requests) in one write.
const redis = await connectRedis(env.REDIS_URL, { connectionName: 'assignment', enableAutoPipelining: true })
const subscriber = await connectRedis(env.REDIS_URL, { connectionName: 'assignment-config', enableOfflineQueue: true })
const app = await buildApp({
  redis,
  subscriber,
  auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY },
  logLevel: env.LOG_LEVEL,
})
app.addHook('onClose', async () => {
  await Promise.all([redis.quit(), subscriber.quit()])
})
await listenUntilSignalled(app, { host: env.HOST, port: env.ASSIGNMENT_PORT })
