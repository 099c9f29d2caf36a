import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisKeys, SDK_KEYS_CHANNEL } from '@experiments/contracts'
import { freePort, startPrivateRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelope } from '../../../../test-support/calls.js'
import { onCluster, testRedis } from '../../../../test-support/context.js'
import { eventually } from '../../../../test-support/eventually.js'
import { aTenant, bearer, TEST_JWT_SECRET } from '../../../../test-support/tokens.js'
import { buildApp } from '../../src/app.js'
import { call, useGateway } from '../helpers.js'

const gw = useGateway()
const tenant = aTenant()
type App = typeof gw.app
type Connection = { id: string; name: string; clientKey: string; createdAt: string }

const connections = (method: 'GET' | 'POST' | 'DELETE', suffix = '', body?: unknown, as = tenant, scope?: string) =>
  call(gw, method, `/api/sdk-connections${suffix}`, as, body, scope)
const create = async (as = tenant, name = 'web app'): Promise<Connection> => {
  const { status, body } = await connections('POST', '', { name }, as)
  if (status !== 201) throw new Error(`create failed: ${status} ${JSON.stringify(body)}`)
  return body.data
}
const revoke = (id: string, as = tenant) => connections('DELETE', `/${id}`, undefined, as)
const listed = async (as = tenant) => (await connections('GET', '?limit=100', undefined, as)).body.data.map((c: Connection) => c.id)
const tenantOfKey = (clientKey: string) => gw.redis.hget(redisKeys.sdkClientKeys, clientKey)
const countRows = async (who = tenant) => (await gw.db.selectFrom('sdk_connections').select('id').where('tenant_id', '=', who).execute()).length

const expectValidationFailed = (response: { status: number; body: any }, path: string) => {
  expect(response.status).toBe(400)
  expect(response.body.error.code).toBe('VALIDATION_FAILED')
  expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path)
}

/** Every message on SDK_KEYS_CHANNEL while the file runs, seen by a Redis client of its own. */
const announcements = () => {
  const seen: string[] = []
  let subscriber: RedisClient
  beforeAll(async () => {
    subscriber = await connectRedis(testRedis())
    subscriber.on('message', (_channel: string, clientKey: string) => seen.push(clientKey))
    await subscriber.subscribe(SDK_KEYS_CHANNEL)
  })
  afterAll(() => subscriber?.disconnect())
  return { announced: (clientKey: string) => eventually(async () => seen.includes(clientKey), 5000, `${clientKey} announced`), seen }
}
const channel = announcements()

describe('POST /api/sdk-connections', () => {
  it('returns 201 with the connection, its client key bound to the tenant in Redis and announced', async () => {
    const { status, body } = await connections('POST', '', { name: 'web app' })
    expect(status).toBe(201)
    expect(body.data).toEqual({
      id: expect.stringMatching(/^sdk_[0-9a-z]{16}$/),
      name: 'web app',
      clientKey: expect.stringMatching(/^sdk-[A-Za-z0-9_-]{24}$/),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    })
    expect(await tenantOfKey(body.data.clientKey)).toBe(tenant)
    await channel.announced(body.data.clientKey)
  })

  it('gives every connection a key of its own that is safe in a URL as it is', async () => {
    const keys = (await Promise.all(Array.from({ length: 20 }, () => create()))).map((c) => c.clientKey)
    expect(new Set(keys).size).toBe(keys.length)
    for (const key of keys) {
      expect(key.startsWith('sdk-')).toBe(true)
      expect(key.length - 'sdk-'.length).toBeGreaterThanOrEqual(20)
      expect(encodeURIComponent(key)).toBe(key)
    }
  })

  it('accepts a name of 1 and of 100 characters, stored as sent', async () => {
    for (const name of ['x', 'y'.repeat(100), ' padded ']) expect((await create(tenant, name)).name).toBe(name)
  })

  const rejected: [string, unknown, string][] = [
    ['a missing name', {}, '/name'],
    ['an empty name', { name: '' }, '/name'],
    ['a name of 101 characters', { name: 'x'.repeat(101) }, '/name'],
    ['a name that is not a string', { name: 42 }, '/name'],
    ['a name holding U+0000', { name: 'a\u0000b' }, '/name'],
    ['an unknown field', { name: 'web', clientKey: 'sdk-mine' }, '/clientKey'],
  ]
  it.each(rejected)('returns 400 VALIDATION_FAILED for %s, naming %s, and stores nothing', async (_case, body, path) => {
    const before = await countRows()
    const response = await connections('POST', '', body)
    expectValidationFailed(response, path)
    expect(response.body.error.message).toContain(path.slice(1))
    expect(await countRows()).toBe(before)
  })

  it('needs experiments:write: a read-only token is 403 and stores nothing', async () => {
    const before = await countRows()
    const response = await connections('POST', '', { name: 'web' }, tenant, 'experiments:read')
    expect(response.status).toBe(403)
    expect(response.body.error.code).toBe('FORBIDDEN')
    expect(await countRows()).toBe(before)
  })
})

describe('GET /api/sdk-connections', () => {
  const owner = aTenant()
  const ids: string[] = [] // in creation order
  const list = (query = '', scope?: string) => connections('GET', query, undefined, owner, scope)

  beforeAll(async () => {
    for (let i = 0; i < 7; i++) ids.push((await create(owner, `connection ${i}`)).id)
    expect((await revoke(ids[6]!, owner)).status).toBe(204)
  })

  it('lists newest first in the envelope of every list, without revoked connections', async () => {
    const { status, body } = await list()
    expect(status).toBe(200)
    expect(body.meta).toEqual({ total: 6, page: 1, limit: 20, totalPages: 1 })
    expect(body.data.map((c: Connection) => c.id)).toEqual(ids.slice(0, 6).reverse())
    expect(body.data[0]).toEqual({ id: ids[5], name: 'connection 5', clientKey: expect.stringMatching(/^sdk-/), createdAt: expect.any(String) })
  })

  it('pages without overlap or gaps, and past the last page returns empty data with correct meta', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => list(`?page=${page}&limit=2`)))
    expect(pages.map((p) => p.body.meta)).toEqual([1, 2, 3].map((page) => ({ total: 6, page, limit: 2, totalPages: 3 })))
    expect(pages.flatMap((p) => p.body.data.map((c: Connection) => c.id))).toEqual(ids.slice(0, 6).reverse())
    expect((await list('?page=4&limit=2')).body).toEqual({ data: [], meta: { total: 6, page: 4, limit: 2, totalPages: 3 } })
    expect((await list('?limit=100')).body.data).toHaveLength(6)
  })

  it.each([
    ['page', '0'],
    ['page', 'abc'],
    ['limit', '101'],
    ['limit', ''],
  ])('returns 400 naming %s for %j', async (param, value) => {
    const response = await list(`?${param}=${encodeURIComponent(value)}`)
    expectValidationFailed(response, `/${param}`)
    expect(response.body.error.message).toContain(param)
  })

  it('returns 400 for an unknown query parameter', async () => {
    expectValidationFailed(await list('?status=active'), '/status')
  })

  it('needs experiments:read (experiments:write alone is 403)', async () => {
    expect((await list('', 'experiments:write')).status).toBe(403)
    expect((await list('', 'experiments:read')).status).toBe(200)
  })

  it("never lists another tenant's connections", async () => {
    expect((await connections('GET', '', undefined, aTenant())).body).toEqual({ data: [], meta: { total: 0, page: 1, limit: 20, totalPages: 0 } })
  })
})

describe('DELETE /api/sdk-connections/:id', () => {
  it('revokes at once: 204, the key leaves Redis (announced), the connection leaves the list', async () => {
    const connection = await create()
    await channel.announced(connection.clientKey)
    const before = channel.seen.filter((k) => k === connection.clientKey).length
    const response = await revoke(connection.id)
    expect(response.status).toBe(204)
    expect(response.body).toBeUndefined()
    expect(await tenantOfKey(connection.clientKey)).toBeNull()
    await eventually(async () => channel.seen.filter((k) => k === connection.clientKey).length === before + 1, 5000, 'the revocation announced')
    expect(await listed()).not.toContain(connection.id)
  })

  it('answers a repeat as the first time and removes the key from Redis again, whatever was left there', async () => {
    const connection = await create()
    expect((await revoke(connection.id)).status).toBe(204)
    await gw.redis.hset(redisKeys.sdkClientKeys, connection.clientKey, tenant)
    expect((await revoke(connection.id)).status).toBe(204)
    expect(await tenantOfKey(connection.clientKey)).toBeNull()
  })

  it('returns 404 for an unknown id', async () => {
    const response = await revoke('sdk_unknown')
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('SDK_CONNECTION_NOT_FOUND')
    expect(response.body.error.message).toBe('SDK connection sdk_unknown does not exist')
  })

  it("returns 404 for another tenant's connection, revoked or not, exactly as for an unknown id, and changes nothing", async () => {
    const connection = await create()
    const intruder = aTenant()
    const missing = await revoke('sdk_doesnotexist', intruder)
    for (const step of ['live', 'revoked']) {
      const response = await revoke(connection.id, intruder)
      expect(response.status, step).toBe(404)
      expect(response.body.error).toEqual({ ...missing.body.error, message: missing.body.error.message.replace('sdk_doesnotexist', connection.id) })
      if (step === 'live') {
        expect(await tenantOfKey(connection.clientKey)).toBe(tenant)
        expect(await listed()).toContain(connection.id)
        await revoke(connection.id)
      }
    }
  })

  it('needs experiments:write: a read-only token is 403 and the key keeps working', async () => {
    const connection = await create()
    const response = await connections('DELETE', `/${connection.id}`, undefined, tenant, 'experiments:read')
    expect(response.status).toBe(403)
    expect(await tenantOfKey(connection.clientKey)).toBe(tenant)
    expect(await listed()).toContain(connection.id)
  })

  it('returns 400 naming /id for an id longer than 128 characters', async () => {
    expectValidationFailed(await revoke('a'.repeat(129)), '/id')
  })
})

describe('when Redis fails', () => {
  const ctx = {} as { down: App; unconfirmed: App; redis: RedisClient; dir: string }
  const build = (options: Pick<Parameters<typeof buildApp>[0], 'redis' | 'replicaAcks'>) =>
    buildApp({ db: gw.db, blockingRedis: gw.blockingRedis, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent', ...options })
  beforeAll(async () => {
    ctx.dir = mkdtempSync(join(tmpdir(), 'gateway-sdk-redis-down-'))
    const server = await startPrivateRedis({ dir: ctx.dir, port: await freePort(), appendOnly: false })
    ctx.redis = await connectRedis(server.url)
    await server.stop()
    ctx.down = await build({ redis: ctx.redis })
    // More replicas than the tests' Redis has (none, or one per master on the cluster): no write is ever confirmed.
    ctx.unconfirmed = await build({ redis: gw.redis, replicaAcks: { replicas: 5, timeoutMs: 50 } })
  })
  afterAll(async () => {
    await ctx.down?.close()
    await ctx.unconfirmed?.close()
    ctx.redis?.disconnect()
    rmSync(ctx.dir, { recursive: true, force: true })
  })
  const inject = (app: App, method: 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(tenant), ...(payload ? { payload } : {}) })

  it.each(['down', 'unconfirmed'] as const)('answers a create 503 with Retry-After and stores nothing (Redis %s)', async (which) => {
    const before = await countRows()
    const response = await inject(ctx[which], 'POST', '/api/sdk-connections', { name: 'web' })
    expectEnvelope(response, 503, 'SERVICE_UNAVAILABLE')
    expect(response.headers['retry-after']).toBe('1')
    expect(await countRows()).toBe(before)
  })

  it.each(['down', 'unconfirmed'] as const)(
    'answers a revocation 503, leaving the connection listed and working; the retry completes it (Redis %s)',
    async (which) => {
      const connection = await create()
      expectEnvelope(await inject(ctx[which], 'DELETE', `/api/sdk-connections/${connection.id}`), 503, 'SERVICE_UNAVAILABLE')
      expect(await listed()).toContain(connection.id)
      if (which === 'down') expect(await tenantOfKey(connection.clientKey)).toBe(tenant)
      expect((await revoke(connection.id)).status).toBe(204)
      expect(await tenantOfKey(connection.clientKey)).toBeNull()
      expect(await listed()).not.toContain(connection.id)
    },
  )

  it.runIf(onCluster())('confirms writes on the replicas that exist (the cluster has one per master)', async () => {
    const app = await build({ redis: gw.redis, replicaAcks: { replicas: 1, timeoutMs: 2000 } })
    try {
      const created = await inject(app, 'POST', '/api/sdk-connections', { name: 'web' })
      expect(created.statusCode).toBe(201)
      expect(await tenantOfKey(created.json().data.clientKey)).toBe(tenant)
      expect((await inject(app, 'DELETE', `/api/sdk-connections/${created.json().data.id}`)).statusCode).toBe(204)
    } finally {
      await app.close()
    }
  })
})
