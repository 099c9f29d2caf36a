import { redisKeys, SDK_KEYS_CHANNEL, type ConfigPublisher } from '@experiments/contracts'
import { assignmentConfigOf, type DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { AssignmentStore } from './assignments/assignment-store.js'
import type { Rebuilder } from './assignments/rebuild.js'

const LOCK_MS = 5 * 60_000
const PAGE = 500

type Deps = {
  db: Kysely<DB>
  redis: RedisClient
  store: AssignmentStore
  rebuilder: Rebuilder
  publisher: ConfigPublisher
  /** Registers the maintenance job schedulers, which a loss of Redis's data takes with it. */
  registerSchedulers: () => Promise<void>
  log: FastifyBaseLogger
}

/**
 * Restores Redis after it lost its data (a FLUSHALL, a restart without persistence, a failover to
 * an empty replica), with no person and no restart: the marker key `redisKeys.restored` is set
 * once Redis holds what the services need; while it is missing, one worker (the others wait on a
 * lock) puts back the configs and status keys of experiments that cannot assign and the client key
 * of every SDK connection not revoked, rebuilds every running or stopped experiment (sticky map,
 * counts, then config and status), registers the job schedulers again, and sets the marker.
 * Consumer groups come back on their own (stream-drain.ts).
 */
export const createRedisRecovery = ({ db, redis, store, rebuilder, publisher, registerSchedulers, log }: Deps) => {
  const restoreIdleConfigs = async () => {
    let after = ''
    for (;;) {
      const rows = await store.idleExperimentsAfter(after, PAGE)
      if (rows.length === 0) return
      for (const row of rows) await publisher.restore(await assignmentConfigOf(db, row))
      after = rows[rows.length - 1]!.id
    }
  }

  /**
   * Each page is read FOR SHARE: a revocation in flight (it removes its key from Redis before it
   * commits, holding the row) either commits first, and the key is not put back, or waits until
   * the key is written here, and then removes it.
   */
  const restoreSdkClientKeys = async () => {
    let after = ''
    for (;;) {
      const rows = await db.transaction().execute(async (trx) => {
        const page = await trx
          .selectFrom('sdk_connections')
          .select(['client_key', 'tenant_id'])
          .where('revoked_at', 'is', null)
          .where('client_key', '>', after)
          .orderBy('client_key')
          .limit(PAGE)
          .forShare()
          .execute()
        if (page.length === 0) return page
        await redis.hset(redisKeys.sdkClientKeys, Object.fromEntries(page.map((row) => [row.client_key, row.tenant_id])))
        await Promise.all(page.map((row) => redis.publish(SDK_KEYS_CHANNEL, row.client_key)))
        return page
      })
      if (rows.length === 0) return
      after = rows[rows.length - 1]!.client_key
    }
  }

  return {
    /** Restores Redis when its marker is missing; true when this call did. */
    check: async () => {
      if (await redis.exists(redisKeys.restored)) return false
      if ((await redis.set(redisKeys.restoring, '1', 'PX', LOCK_MS, 'NX')) === null) return false
      try {
        log.warn('Redis holds no restore marker (it lost its data, or is new): restoring it from PostgreSQL')
        const started = Date.now()
        await restoreIdleConfigs()
        await restoreSdkClientKeys()
        const rebuilt = await rebuilder.reconcile({ force: true })
        await registerSchedulers()
        await redis.set(redisKeys.restored, new Date().toISOString())
        log.info({ rebuilt: rebuilt.length, ms: Date.now() - started }, 'Redis restored from PostgreSQL')
        return true
      } finally {
        await redis.del(redisKeys.restoring)
      }
    },
  }
}
export type RedisRecovery = ReturnType<typeof createRedisRecovery>

/** Runs `task` every `ms`, never two at once; a failure is logged at warn and the next run retries. */
export const every = (ms: number, task: () => Promise<unknown>, log: FastifyBaseLogger, what: string) => {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task()
      .catch((err) => log.warn({ err }, `${what} failed; retrying in ${ms} ms`))
      .finally(() => {
        running = false
      })
  }, ms)
  return () => clearInterval(timer)
}
