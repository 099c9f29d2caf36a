import { loadEnvOrExit } from '@experiments/config'
import { createDb, migrateToLatest } from '@experiments/db'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'
import { buildApp } from './app.js'

const env = loadEnvOrExit({ database: true, jwt: true })
const db = createDb(env.DATABASE_URL)
await migrateToLatest(db)
const redis = await connectRedis(env.REDIS_URL, { connectionName: 'gateway' })
const app = await buildApp({
  db,
  redis,
  auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY },
  logLevel: env.LOG_LEVEL,
})
app.addHook('onClose', async () => {
  await Promise.all([db.destroy(), redis.quit()])
})
await listenUntilSignalled(app, { host: env.HOST, port: env.GATEWAY_PORT })
