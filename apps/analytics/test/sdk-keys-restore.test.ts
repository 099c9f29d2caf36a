/**
 * The restore after a loss of Redis puts back the SDK client keys (redisKeys.sdkClientKeys) from
 * PostgreSQL's sdk_connections: every key not revoked, announced on SDK_KEYS_CHANNEL, before the
 * restore marker is set again. On a Redis of its own, which the tests flush.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { configPublisher, redisKeys, SDK_KEYS_CHANNEL } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDb } from '../../../test-support/connections.js'
import { eventually } from '../../../test-support/eventually.js'
import { analytics, callGateway, startGateway } from '../../../test-support/services.js'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { createRedisRecovery, type RedisRecovery } from '../src/redis-recovery.js'

const dir = new URL(`../../../.data/test-redis-sdk-keys-restore-${process.pid}`, import.meta.url).pathname
let server: RunningRedis
let db: Kysely<DB>
let redis: RedisClient
let subscriber: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let recovery: RedisRecovery
const announced: string[] = []

beforeAll(async () => {
  db = connectDb()
  server = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(server.url)
  subscriber = await connectRedis(server.url)
  subscriber.on('message', (_channel: string, clientKey: string) => announced.push(clientKey))
  await subscriber.subscribe(SDK_KEYS_CHANNEL)
  gateway = await startGateway(db, redis)
  const { store, rebuilder } = analytics(db, redis)
  const log = pino({ level: 'silent' })
  recovery = createRedisRecovery({ db, redis, store, rebuilder, publisher: configPublisher(redis), registerSchedulers: async () => {}, log })
})
afterAll(async () => {
  await gateway?.close()
  subscriber?.disconnect()
  redis?.disconnect()
  await server?.stop()
  await db?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

const createConnection = async (tenant: string) => {
  const { status, body } = await callGateway(gateway, tenant, 'POST', '/api/sdk-connections', { name: 'web' })
  if (status !== 201) throw new Error(`create failed: ${status} ${JSON.stringify(body)}`)
  return body.data as { id: string; clientKey: string }
}
const revoke = (tenant: string, id: string) => gateway.inject({ method: 'DELETE', url: `/api/sdk-connections/${id}`, headers: bearer(tenant) })
const tenantOfKey = (clientKey: string) => redis.hget(redisKeys.sdkClientKeys, clientKey)

/** Redis loses everything; the restore runs as the worker's periodic check would run it. */
const loseRedisAndRestore = async () => {
  await redis.flushall()
  expect(await recovery.check()).toBe(true)
  expect(await redis.exists(redisKeys.restored)).toBe(1)
}

describe('restoring Redis after it lost its data', () => {
  it('puts back every client key not revoked, bound to its tenant and announced, and no revoked one', async () => {
    const [one, other] = [aTenant(), aTenant()]
    const live = [await createConnection(one), await createConnection(one), await createConnection(other)]
    const revoked = await createConnection(one)
    expect((await revoke(one, revoked.id)).statusCode).toBe(204)

    await loseRedisAndRestore()
    expect(await Promise.all(live.map((c) => tenantOfKey(c.clientKey)))).toEqual([one, one, other])
    expect(await tenantOfKey(revoked.clientKey)).toBeNull()
    await eventually(async () => live.every((c) => announced.includes(c.clientKey)), 5000, 'every restored key announced')
  })

  it('puts back more keys than one page holds', async () => {
    const tenant = aTenant()
    const rows = Array.from({ length: 1201 }, () => ({
      id: `sdk_${randomBytes(8).toString('hex')}`,
      tenant_id: tenant,
      name: 'bulk',
      client_key: `sdk-${randomBytes(18).toString('base64url')}`,
    }))
    await db.insertInto('sdk_connections').values(rows).execute()

    await loseRedisAndRestore()
    const tenants = await redis.hmget(redisKeys.sdkClientKeys, ...rows.map((r) => r.client_key))
    expect(tenants.filter((t) => t === tenant)).toHaveLength(rows.length)
  })

  it('does not put back a key whose revocation commits while the restore reads it', async () => {
    const tenant = aTenant()
    const connection = await createConnection(tenant)
    await redis.flushall()
    let restoring: Promise<boolean> | undefined
    // A revocation in flight, as the gateway runs it: the row locked and revoked, its key already
    // gone from Redis, the commit still to come.
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('sdk_connections').select('id').where('id', '=', connection.id).forUpdate().execute()
      await trx.updateTable('sdk_connections').set({ revoked_at: sql`now()` }).where('id', '=', connection.id).execute()
      restoring = recovery.check()
      await eventually(
        async () =>
          (
            await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where wait_event_type = 'Lock' and query like '%sdk_connections%for share%'`.execute(db)
          ).rows[0]!.n > 0,
        10_000,
        'the restore to wait for the revoked row',
      )
    })
    expect(await restoring).toBe(true)
    expect(await tenantOfKey(connection.clientKey)).toBeNull()
  })
})
