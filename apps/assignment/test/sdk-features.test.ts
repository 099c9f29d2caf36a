import { finalConfig, redisKeys, type AssignmentConfig } from '@experiments/contracts'
import { connectRedis } from '@experiments/redis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { eventually } from '../../../test-support/eventually.js'
import { operationsOf, type OpenApiDocument } from '../../../test-support/openapi.js'
import { testRedis } from '../../../test-support/context.js'
import { aTenant, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { buildApp } from '../src/app.js'
import { aConfig, publish, settle, useAssignmentService } from './helpers.js'
import { aClientKey, createSdkConnection, fetchFeatures, revokeSdkConnection } from './sdk-connections.js'

const svc = useAssignmentService()
afterEach(() => {
  vi.restoreAllMocks()
})

/** A tenant with an SDK connection, as the gateway would have made it. */
const aTenantWithKey = async () => {
  const tenant = aTenant()
  const clientKey = await createSdkConnection(svc.redis, tenant)
  await settle()
  return { tenant, clientKey }
}

const publishAll = async (...configs: AssignmentConfig[]) => {
  for (const config of configs) await publish(svc.redis, config)
  await settle()
}

type Feature = { defaultValue: null; rules: Record<string, unknown>[] }

describe('GET /api/features/:clientKey', () => {
  it("serves the tenant's running experiments as a GrowthBook payload, every rule field written", async () => {
    const { tenant, clientKey } = await aTenantWithKey()
    const version = Date.now()
    const audience = { id: 'aud_1', conditions: { country: { $in: ['DE', 'AT'] }, 'company.plan': 'pro' } }
    const targeted = aConfig(tenant, {
      name: 'Checkout button',
      audience,
      version: version - 5000,
      variants: [
        { id: 'var_a', name: 'Control', flowId: 'flow_a', config: {}, splitPercentage: 20 },
        { id: 'var_b', name: 'Green', flowId: null, config: { color: 'green' }, splitPercentage: 30 },
        { id: 'var_c', name: 'Blue', flowId: 'flow_c', config: { color: 'blue', size: 2 }, splitPercentage: 50 },
      ],
    })
    // Published before configs carried a name: the payload names it by its id.
    const unnamed = aConfig(tenant, { seed: 'a-seed-of-its-own', version: version - 4000 })
    const draft = aConfig(tenant, { status: 'draft', version: version + 9000 })
    const stopped = aConfig(tenant, { status: 'stopped', version: version - 3000 })
    const completed = finalConfig({ id: aConfig(tenant).id, tenantId: tenant, seed: 's', status: 'completed', version })
    const archived = finalConfig({ id: aConfig(tenant).id, tenantId: tenant, seed: 's', status: 'archived', version: version - 1000 })
    const foreign = aConfig(aTenant())
    await publishAll(targeted, unnamed, draft, stopped, completed, archived, foreign)

    const response = await fetchFeatures(svc, clientKey)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['access-control-allow-origin']).toBe('*')
    expect(response.headers['cache-control']).toBe('public, max-age=30, stale-while-revalidate=3600')
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]{20,}"$/)
    const payload = response.json()
    // The newest change of an experiment that is not a draft: here the completion.
    expect(payload).toMatchObject({ status: 200, dateUpdated: new Date(version).toISOString(), experiments: [], savedGroups: {} })
    expect(Object.keys(payload)).toEqual(['status', 'dateUpdated', 'features', 'experiments', 'savedGroups'])
    expect(Object.keys(payload.features)).toEqual([targeted.id, unnamed.id].sort())
    expect(payload.features[targeted.id]).toEqual({
      defaultValue: null,
      rules: [
        {
          key: targeted.id,
          seed: targeted.seed,
          hashVersion: 2,
          hashAttribute: 'id',
          coverage: 1,
          weights: [0.2, 0.3, 0.5],
          variations: [
            { variantId: 'var_a', name: 'Control', flowId: 'flow_a', config: {} },
            { variantId: 'var_b', name: 'Green', flowId: null, config: { color: 'green' } },
            { variantId: 'var_c', name: 'Blue', flowId: 'flow_c', config: { color: 'blue', size: 2 } },
          ],
          meta: [
            { key: 'var_a', name: 'Control' },
            { key: 'var_b', name: 'Green' },
            { key: 'var_c', name: 'Blue' },
          ],
          name: 'Checkout button',
          phase: '0',
          condition: audience.conditions,
        },
      ],
    })
    const [rule] = (payload.features[unnamed.id] as Feature).rules
    expect(rule).toMatchObject({ key: unnamed.id, name: unnamed.id, seed: 'a-seed-of-its-own', weights: [0.5, 0.5] })
    expect(rule).not.toHaveProperty('condition')
  })

  it('answers 304 to an If-None-Match naming the current ETag (weakly, in a list, or *), 200 otherwise', async () => {
    const { tenant, clientKey } = await aTenantWithKey()
    await publishAll(aConfig(tenant))
    const first = await fetchFeatures(svc, clientKey)
    const etag = first.headers.etag as string
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await fetchFeatures(svc, clientKey, { 'if-none-match': header })
      expect(again.statusCode, header).toBe(304)
      expect(again.body, header).toBe('')
      // A content-length (of a `null` body never sent) would leave some clients waiting for it.
      expect(again.headers, header).not.toHaveProperty('content-length')
      expect(again.headers, header).toMatchObject({
        etag,
        'access-control-allow-origin': '*',
        'cache-control': 'public, max-age=30, stale-while-revalidate=3600',
      })
    }
    const stale = await fetchFeatures(svc, clientKey, { 'if-none-match': '"something-else"' })
    expect(stale.statusCode).toBe(200)
    expect(stale.body).toBe(first.body)
  })

  it('is documented as needing no token; the CORS preflight is no operation of the API', async () => {
    const docs = operationsOf((await svc.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument)
    const features = docs.filter((o) => o.name.includes('/api/features/'))
    expect(features.map((o) => o.name)).toEqual(['GET /api/features/{clientKey}'])
    expect(features[0]!.operation.security).toEqual([])
  })

  it('answers the CORS preflight for any origin', async () => {
    const { clientKey } = await aTenantWithKey()
    const response = await svc.app.inject({
      method: 'OPTIONS',
      url: `/api/features/${clientKey}`,
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match, x-client' },
    })
    expect(response.statusCode).toBe(204)
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': 'if-none-match, x-client',
      'access-control-max-age': '86400',
    })
  })

  it('answers 404 in the error envelope, readable cross-origin, for a key no connection has', async () => {
    const response = await fetchFeatures(svc, aClientKey())
    expect(response.statusCode).toBe(404)
    expect(response.headers['access-control-allow-origin']).toBe('*')
    expect(response.json()).toEqual({
      error: { code: 'SDK_CONNECTION_NOT_FOUND', message: expect.stringContaining('client key') },
      requestId: expect.any(String),
    })
  })

  it.each([
    ['too short', `sdk-${'a'.repeat(19)}`],
    ['too long', `sdk-${'a'.repeat(97)}`],
    ['without the sdk- prefix', `key-${'a'.repeat(24)}`],
    ['with characters outside base64url', `sdk-${'a'.repeat(20)}+/=`],
    ['with non-ASCII characters', `sdk-${'ä'.repeat(24)}`],
    ['with a percent-encoded slash', `sdk-${'a'.repeat(20)}/../x`],
  ])('answers 404 for a malformed key (%s) without asking Redis', async (_case, clientKey) => {
    const asked = [vi.spyOn(svc.redis, 'hget'), vi.spyOn(svc.redis, 'exists')]
    const response = await fetchFeatures(svc, clientKey)
    expect(response.statusCode).toBe(404)
    expect(response.json().error.code).toBe('SDK_CONNECTION_NOT_FOUND')
    for (const spy of asked) expect(spy).not.toHaveBeenCalled()
  })

  it('serves a key on first sight, before its announcement arrived', async () => {
    const tenant = aTenant()
    const clientKey = aClientKey()
    await publishAll(aConfig(tenant))
    await svc.redis.hset(redisKeys.sdkClientKeys, clientKey, tenant)
    expect((await fetchFeatures(svc, clientKey)).statusCode).toBe(200)
  })

  it('costs no Redis command per request once the key and payload are held', async () => {
    const { tenant, clientKey } = await aTenantWithKey()
    await publishAll(aConfig(tenant))
    await fetchFeatures(svc, clientKey)
    const sendCommand = vi.spyOn(svc.redis, 'sendCommand')
    for (let i = 0; i < 20; i++) expect((await fetchFeatures(svc, clientKey)).statusCode).toBe(200)
    expect(sendCommand).not.toHaveBeenCalled()
  })

  it('drops an experiment that stops, with a new ETag and dateUpdated, and takes in one that starts', async () => {
    const { tenant, clientKey } = await aTenantWithKey()
    const kept = aConfig(tenant, { version: Date.now() - 10_000 })
    const stopping = aConfig(tenant, { version: Date.now() - 5000 })
    const starting = aConfig(tenant, { status: 'draft', version: Date.now() - 1000 })
    await publishAll(kept, stopping, starting)
    const before = await fetchFeatures(svc, clientKey)
    expect(Object.keys(before.json().features).sort()).toEqual([kept.id, stopping.id].sort())

    const stop = { ...stopping, status: 'stopped' as const, version: Date.now() }
    await publishAll(stop)
    const after = await fetchFeatures(svc, clientKey, { 'if-none-match': before.headers.etag as string })
    expect(after.statusCode).toBe(200)
    expect(after.headers.etag).not.toBe(before.headers.etag)
    expect(Object.keys(after.json().features)).toEqual([kept.id])
    // An SDK keeps what it holds when dateUpdated did not move, so it must move with every change.
    expect(after.json().dateUpdated).toBe(new Date(stop.version).toISOString())

    await publishAll({ ...starting, status: 'running', version: stop.version + 1 })
    const started = await fetchFeatures(svc, clientKey)
    expect(Object.keys(started.json().features).sort()).toEqual([kept.id, starting.id].sort())
    expect(started.json().dateUpdated).toBe(new Date(stop.version + 1).toISOString())
  })

  it("keeps the ETag while only a draft or another tenant's experiment changes", async () => {
    const { tenant, clientKey } = await aTenantWithKey()
    await publishAll(aConfig(tenant))
    const before = await fetchFeatures(svc, clientKey)
    await publishAll(aConfig(tenant, { status: 'draft', version: Date.now() + 60_000 }), aConfig(aTenant()))
    const after = await fetchFeatures(svc, clientKey, { 'if-none-match': before.headers.etag as string })
    expect(after.statusCode).toBe(304)
  })

  it('serves an empty payload, with a fixed dateUpdated, to a tenant without running experiments', async () => {
    const { clientKey } = await aTenantWithKey()
    const response = await fetchFeatures(svc, clientKey)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 200, dateUpdated: '1970-01-01T00:00:00.000Z', features: {}, experiments: [], savedGroups: {} })
  })

  it('answers 404 as soon as the revocation is announced', async () => {
    const { tenant, clientKey } = await aTenantWithKey()
    await publishAll(aConfig(tenant))
    expect((await fetchFeatures(svc, clientKey)).statusCode).toBe(200)
    await revokeSdkConnection(svc.redis, clientKey)
    await eventually(async () => (await fetchFeatures(svc, clientKey)).statusCode === 404, 1000, 'the revocation to take effect')
    await settle(200)
    expect((await fetchFeatures(svc, clientKey)).statusCode).toBe(404)
  })

  it('forgets a key revoked while its announcement was lost, once the subscriber reconnects', async () => {
    const redis = await connectRedis(testRedis())
    const subscriber = await connectRedis(testRedis(), { enableOfflineQueue: true })
    const app = await buildApp({ redis, subscriber, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent' })
    try {
      const { tenant, clientKey } = await aTenantWithKey()
      await publishAll(aConfig(tenant))
      expect((await fetchFeatures({ app }, clientKey)).statusCode).toBe(200)
      // Revoked without an announcement, as when it was sent while the subscriber was away.
      await svc.redis.hdel(redisKeys.sdkClientKeys, clientKey)
      expect((await fetchFeatures({ app }, clientKey)).statusCode).toBe(200)
      subscriber.disconnect(true)
      await eventually(async () => (await fetchFeatures({ app }, clientKey)).statusCode === 404, 5000, 'the reload after the reconnect')
    } finally {
      await app.close()
      redis.disconnect()
      subscriber.disconnect()
    }
  })
})
