#!/usr/bin/env node
// `npm run rebuild-redis -- [experimentId ...]`: rebuilds sticky assignments and participant
// counts (then config and status) in Redis from PostgreSQL, for the experiments named, or for every
// live experiment whose Redis state lost something (the check the worker runs every 10 s).
import { randomBytes } from 'node:crypto'
import { loadEnvOrExit, redisTargetOf } from '@experiments/config'
import { configPublisher } from '@experiments/contracts'
import { createDb } from '@experiments/db'
import { connectRedis } from '@experiments/redis'
import pino from 'pino'
import { assignmentStore } from './assignments/assignment-store.js'
import { createRebuilder } from './assignments/rebuild.js'
import { createAssignmentDrain } from './assignments/stream-drain.js'

const env = loadEnvOrExit({ database: true })
const log = pino({ level: env.LOG_LEVEL })
const db = createDb(env.DATABASE_URL, { max: 2 })
const redis = await connectRedis(redisTargetOf(env), { connectionName: 'analytics-rebuild' })
const store = assignmentStore(db)
const drain = createAssignmentDrain({ redis, store, consumer: `rebuild-${randomBytes(3).toString('hex')}`, log })
const rebuilder = createRebuilder({ redis, store, drain, publisher: configPublisher(redis), log })
try {
  const ids = process.argv.slice(2)
  if (ids.length === 0) console.log(`rebuilt: ${(await rebuilder.reconcile({ force: true })).join(', ') || 'nothing was missing'}`)
  for (const id of ids) console.log(`${id}: ${(await rebuilder.rebuild(id)) ? 'rebuilt' : 'skipped (another rebuild holds the lock)'}`)
} finally {
  await Promise.all([db.destroy(), redis.quit()])
}
