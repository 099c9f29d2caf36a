import { loadEnvOrExit } from '@experiments/config'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'
import { buildApp } from './app.js'

const env = loadEnvOrExit()
const redis = await connectRedis(env.REDIS_URL, { connectionName: 'assignment' })
const app = await buildApp({
  redis,
  auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY },
  logLevel: env.LOG_LEVEL,
})
app.addHook('onClose', async () => {
  await redis.quit()
})
await listenUntilSignalled(app, { host: env.HOST, port: env.ASSIGNMENT_PORT })
