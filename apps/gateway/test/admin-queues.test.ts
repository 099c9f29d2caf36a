import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONVERSION_SHARD_REGISTRY, conversionShard, conversionShards, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import { createDb, type DB } from '@experiments/db'
import { DEFAULT_SCOPES, freePort, type RunningRedis, startPrivateRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue, Worker } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelope } from '../../../test-support/calls.js'
import { blockingConnections, testDatabaseUrl } from '../../../test-support/context.js'
import { eventually } from '../../../test-support/eventually.js'
import { aTenant, bearer, claimsFor, hs, hs256, jwt, seconds, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { buildApp } from '../src/app.js'

// The queue dashboard on a Redis of its own: no other test file's analytics workers take the jobs
// these tests fail and retry, and the board lists exactly the queues made here.
const ctx = {} as {
  app: Awaited<ReturnType<typeof buildApp>>
  db: Kysely<DB>
  redis: RedisClient
  blocking: ReturnType<typeof blockingConnections>
  server: RunningRedis
  dir: string
}
const SHARD_COUNT = 2
/** A shard another gateway (CONVERSION_QUEUE_SHARDS=3) named in the registry. */
const otherGatewaysShard = conversionShard(0, 3)

beforeAll(async () => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'gateway-admin-queues-'))
  ctx.server = await startPrivateRedis({ dir: ctx.dir, port: await freePort(), appendOnly: false })
  ctx.redis = await connectRedis(ctx.server.url)
  ctx.blocking = blockingConnections(ctx.server.url)
  await ctx.redis.zadd(CONVERSION_SHARD_REGISTRY, Date.now(), otherGatewaysShard.prefix)
  ctx.db = createDb(testDatabaseUrl(), { max: 2 })
  ctx.app = await buildApp({
    db: ctx.db,
    redis: ctx.redis,
    blockingRedis: ctx.blocking.create,
    conversionShards: SHARD_COUNT,
    auth: { jwtSecret: TEST_JWT_SECRET },
    logLevel: 'silent',
  })
})
afterAll(async () => {
  await ctx.app?.close()
  await ctx.db?.destroy()
  ctx.redis?.disconnect()
  ctx.blocking?.closeAll()
  await ctx.server?.stop()
  rmSync(ctx.dir, { recursive: true, force: true })
})

const tenant = aTenant()
const admin = bearer(tenant, 'admin')
/** Every scope but admin. */
const tenantScopes = bearer(tenant, DEFAULT_SCOPES)
const adminToken = admin.authorization.slice('Bearer '.length)

type Method = 'GET' | 'PUT'
const request = (method: Method, url: string, headers: Record<string, string> = {}) => ctx.app.inject({ method, url, headers })
const boardName = (prefix: string, name: string) => `${prefix}:${name}`
const queuePath = (prefix: string, name: string) => encodeURIComponent(boardName(prefix, name))

/** The page, an asset, the API (a read and an action), and a path the board does not have. */
const paths: [Method, string][] = [
  ['GET', '/admin/queues'],
  ['GET', '/admin/queues/static/favicon-32x32.png'],
  ['GET', '/admin/queues/api/queues'],
  ['PUT', `/admin/queues/api/queues/${queuePath(QUEUE_PREFIX, QUEUE.computeResults)}/1/retry`],
  ['GET', '/admin/queues/no-such-page/x.js'],
]

describe('GET /admin/queues: who gets in', () => {
  it.each(paths)('answers %s %s 401 UNAUTHORIZED in the envelope without a token', async (method, url) => {
    expectEnvelope(await request(method, url), 401, 'UNAUTHORIZED')
  })

  it.each(paths)('answers %s %s 403 FORBIDDEN, naming admin, to a token with every other scope', async (method, url) => {
    const body = expectEnvelope(await request(method, url, tenantScopes), 403, 'FORBIDDEN')
    expect(body.error.message).toContain('admin')
  })

  it('answers 401 to an expired token and to one signed with another key', async () => {
    const claims = claimsFor(tenant)
    const expired = hs256(claims({ scope: 'admin', iat: seconds() - 7200, exp: seconds() - 60 }))
    const forged = jwt('HS256', claims({ scope: 'admin' }), hs('another-secret-that-is-at-least-32-bytes'))
    for (const token of [expired, forged]) {
      expectEnvelope(await request('GET', '/admin/queues/api/queues', { authorization: `Bearer ${token}` }), 401, 'UNAUTHORIZED')
    }
  })

  it('serves the page, its assets and the API to an admin token', async () => {
    const page = await request('GET', '/admin/queues', admin)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('<base href="/admin/queues/" />')
    const asset = await request('GET', '/admin/queues/static/favicon-32x32.png', admin)
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['content-type']).toBe('image/png')
  })

  it('answers an unknown path under the board 404 ROUTE_NOT_FOUND once the token is checked', async () => {
    expectEnvelope(await request('GET', '/admin/queues/no-such-page/x.js', admin), 404, 'ROUTE_NOT_FOUND')
  })

  it('is not in the OpenAPI document', async () => {
    const doc = (await request('GET', '/docs/json')).json() as { paths: Record<string, object> }
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/admin'))).toEqual([])
  })
})

describe('the queues the board lists', () => {
  it("lists the gateway's conversion shards, the registry's, compute-results and maintenance", async () => {
    const response = await request('GET', '/admin/queues/api/queues', admin)
    expect(response.statusCode).toBe(200)
    const names = (response.json().queues as { name: string }[]).map((queue) => queue.name)
    expect(names.sort()).toEqual(
      [
        ...conversionShards(SHARD_COUNT).map((shard) => boardName(shard.prefix, QUEUE.conversions)),
        boardName(otherGatewaysShard.prefix, QUEUE.conversions),
        boardName(QUEUE_PREFIX, QUEUE.computeResults),
        boardName(QUEUE_PREFIX, QUEUE.maintenance),
      ].sort(),
    )
  })
})

describe('a browser: ?token= traded for a cookie', () => {
  const cookieOf = (setCookie: string) => setCookie.split(';')[0]!

  it('redirects to /admin/queues without the token and sets an HttpOnly, SameSite=Strict cookie for /admin/queues that expires with it', async () => {
    const response = await request('GET', `/admin/queues?token=${adminToken}`)
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/admin/queues')
    const setCookie = response.headers['set-cookie'] as string
    const attributes = setCookie.split('; ')
    expect(attributes[0]).toBe(`admin_token=${adminToken}`)
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/admin/queues']))
    const exp = JSON.parse(Buffer.from(adminToken.split('.')[1]!, 'base64url').toString()).exp
    expect(attributes).toContain(`Expires=${new Date(exp * 1000).toUTCString()}`)
  })

  it('then lets the cookie alone through to the page, an asset and the API', async () => {
    const cookie = cookieOf((await request('GET', `/admin/queues?token=${adminToken}`)).headers['set-cookie'] as string)
    for (const url of ['/admin/queues', '/admin/queues/static/favicon-32x32.png', '/admin/queues/api/queues']) {
      expect((await request('GET', url, { cookie: `theme=dark; ${cookie}` })).statusCode, url).toBe(200)
    }
  })

  it('answers 401 to an expired or invalid ?token=, 403 to one without admin, and sets no cookie', async () => {
    const claims = claimsFor(tenant)
    const refused: [string, number][] = [
      [hs256(claims({ scope: 'admin', iat: seconds() - 7200, exp: seconds() - 60 })), 401],
      ['not-a-jwt', 401],
      ['', 401],
      [tenantScopes.authorization.slice('Bearer '.length), 403],
    ]
    for (const [token, status] of refused) {
      const response = await request('GET', `/admin/queues?token=${encodeURIComponent(token)}`)
      expectEnvelope(response, status, status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN')
      expect(response.headers['set-cookie']).toBeUndefined()
    }
  })

  it('answers 401 to a token given twice, and to a cookie holding an expired token', async () => {
    expectEnvelope(await request('GET', `/admin/queues?token=${adminToken}&token=${adminToken}`), 401, 'UNAUTHORIZED')
    const expired = hs256(claimsFor(tenant)({ scope: 'admin', iat: seconds() - 7200, exp: seconds() - 60 }))
    expectEnvelope(await request('GET', '/admin/queues/api/queues', { cookie: `admin_token=${expired}` }), 401, 'UNAUTHORIZED')
  })
})

describe('failed jobs', () => {
  const computeResults = boardName(QUEUE_PREFIX, QUEUE.computeResults)
  const failedJob = async () => {
    const queue = new Queue(QUEUE.computeResults, { connection: ctx.redis, prefix: QUEUE_PREFIX })
    const worker = new Worker(
      QUEUE.computeResults,
      async () => {
        throw new Error('VALIDATION_FAILED: no experiment exp_board_test')
      },
      { connection: ctx.blocking.create(), prefix: QUEUE_PREFIX },
    )
    try {
      const job = await queue.add('compute', { tenantId: tenant, experimentId: 'exp_board_test' }, { attempts: 1 })
      await eventually(async () => (await job.getState()) === 'failed', 10_000, 'the job to fail')
      return job.id!
    } finally {
      await worker.close()
      await queue.close()
    }
  }
  const stateOf = async (jobId: string) => {
    const queue = new Queue(QUEUE.computeResults, { connection: ctx.redis, prefix: QUEUE_PREFIX })
    try {
      return await (await queue.getJob(jobId))!.getState()
    } finally {
      await queue.close()
    }
  }
  const retry = (jobId: string, headers: Record<string, string>) =>
    request('PUT', `/admin/queues/api/queues/${encodeURIComponent(computeResults)}/${jobId}/retry`, headers)

  it('shows a failed job with its error, and retries it: it leaves the failed state', async () => {
    const jobId = await failedJob()
    const listed = await request('GET', `/admin/queues/api/queues?activeQueue=${encodeURIComponent(computeResults)}&status=failed`, admin)
    expect(listed.statusCode).toBe(200)
    const queue = (listed.json().queues as { name: string; jobs: { id: string; failedReason: string }[] }[]).find((q) => q.name === computeResults)!
    expect(queue.jobs).toContainEqual(expect.objectContaining({ id: jobId, failedReason: 'VALIDATION_FAILED: no experiment exp_board_test' }))

    expect((await retry(jobId, admin)).statusCode).toBe(204)
    expect(await stateOf(jobId)).toBe('waiting')
  })

  it('refuses the retry to a token without admin, leaving the job failed', async () => {
    const jobId = await failedJob()
    expectEnvelope(await retry(jobId, tenantScopes), 403, 'FORBIDDEN')
    expect(await stateOf(jobId)).toBe('failed')
  })

  it('answers 404 to a retry of a job that does not exist', async () => {
    expect((await retry('no-such-job', admin)).statusCode).toBe(404)
  })
})
