import { loadEnvOrExit } from '@experiments/config'
import { createDb, migrateToLatest } from '@experiments/db'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'
import { sql } from 'kysely'
import { buildHealthServer } from './health-server.js'

const env = loadEnvOrExit()
const db = createDb(env.DATABASE_URL)
await migrateToLatest(db)
const redis = await connectRedis(env.REDIS_URL, { connectionName: 'analytics' })

const health = await buildHealthServer({
  logLevel: env.LOG_LEVEL,
  checks: [
    { name: 'postgres', check: () => sql`select 1`.execute(db) },
    { name: 'redis', check: () => redis.ping() },
  ],
})
health.addHook('onClose', async () => {
  await Promise.all([db.destroy(), redis.quit()])
})
await listenUntilSignalled(health, { host: env.HOST, port: env.ANALYTICS_PORT })
