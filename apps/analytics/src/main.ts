import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { loadEnvOrExit } from '@experiments/config'
import { createDb, migrateToLatest } from '@experiments/db'
import { listenUntilSignalled } from '@experiments/http'
import { connectRedis } from '@experiments/redis'
import { sql } from 'kysely'
import { assignmentStore } from './assignments/assignment-store.js'
import { createRebuilder } from './assignments/rebuild.js'
import { createAssignmentDrain } from './assignments/stream-drain.js'
import { buildHealthServer } from './health-server.js'

const REBUILD_CHECK_MS = 30_000

const env = loadEnvOrExit({ database: true })
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
const log = health.log
const store = assignmentStore(db)
const drain = createAssignmentDrain({ redis, store, consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, log })
const rebuilder = createRebuilder({ redis, store, drain, log })

const checkRebuilds = () =>
  rebuilder.rebuildMissing().catch((err) => log.warn({ err }, 'rebuild check failed'))
await checkRebuilds()
const rebuildTimer = setInterval(checkRebuilds, REBUILD_CHECK_MS)
drain.start()

health.addHook('onClose', async () => {
  clearInterval(rebuildTimer)
  await drain.stop()
  await Promise.all([db.destroy(), redis.quit()])
})
await listenUntilSignalled(health, { host: env.HOST, port: env.ANALYTICS_PORT })
