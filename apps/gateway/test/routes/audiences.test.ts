import { redisKeys } from '@experiments/contracts'
import { beforeAll, describe, expect, it } from 'vitest'
import { aTenant } from '../../../../test-support/tokens.js'
import { anAudienceBody, call, createAudience, createExperiment, useGateway } from '../helpers.js'

const gw = useGateway()
const tenant = aTenant()
const audiences = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', suffix = '', body?: unknown, as = tenant) =>
  call(gw, method, `/api/audiences${suffix}`, as, body)
const countRows = async (who = tenant) => (await gw.db.selectFrom('audiences').select('id').where('tenant_id', '=', who).execute()).length

/** `depth` nested objects including the root, e.g. nested(2) = {a: {a: 1}}. */
const nested = (depth: number): Record<string, unknown> => (depth === 1 ? { a: 1 } : { a: nested(depth - 1) })
/** Conditions whose JSON is exactly `bytes` long. */
const ofSize = (bytes: number) => ({ s: 'x'.repeat(bytes - '{"s":""}'.length) })

const expectValidationFailed = (response: { status: number; body: any }, path: string) => {
  expect(response.status).toBe(400)
  expect(response.body.error.code).toBe('VALIDATION_FAILED')
  expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path)
}

describe('POST /api/audiences', () => {
  it('returns 201 with the stored audience', async () => {
    const { status, body } = await audiences('POST', '', anAudienceBody())
    expect(status).toBe(201)
    expect(body.data).toEqual({
      id: expect.stringMatching(/^aud_[0-9a-z]{16}$/),
      name: 'Adults in the US',
      description: 'Grown-ups in one country',
      conditions: { country: 'US', age: { $gte: 18 } },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: body.data.createdAt,
    })
    expect((await audiences('GET', `/${body.data.id}`)).body).toEqual({ data: body.data })
  })

  it('accepts empty conditions (everyone), no description, a 200-character name and every documented operator', async () => {
    expect((await audiences('POST', '', { name: 'everyone', conditions: {} })).body.data).toMatchObject({ description: null, conditions: {} })
    expect((await audiences('POST', '', anAudienceBody({ name: 'x'.repeat(200) }))).status).toBe(201)
    const conditions = {
      $or: [{ country: { $in: ['US', 'CA'] } }, { $and: [{ age: { $gt: 17, $lte: 65 } }, { plan: { $ne: 'free' } }] }],
      email: { $regex: '@example\\.com$' },
      beta: { $exists: true },
      $not: { banned: { $eq: true } },
      tier: { $nin: ['trial'], $lt: 'z', $gte: 'a' },
    }
    const { status, body } = await audiences('POST', '', { name: 'all operators', conditions })
    expect(status).toBe(201)
    expect(body.data.conditions).toEqual(conditions)
  })

  it('accepts conditions nested exactly 10 levels deep and exactly 16 KiB long', async () => {
    expect((await audiences('POST', '', { name: 'deep', conditions: nested(10) })).status).toBe(201)
    expect((await audiences('POST', '', { name: 'big', conditions: ofSize(16 * 1024) })).status).toBe(201)
  })

  const rejected: [string, unknown, string][] = [
    ['an unknown field', anAudienceBody({ owner: 'me' }), '/owner'],
    ['a missing name', { conditions: {} }, '/name'],
    ['an empty name', anAudienceBody({ name: '' }), '/name'],
    ['a name of 201 characters', anAudienceBody({ name: 'x'.repeat(201) }), '/name'],
    ['a description of 2001 characters', anAudienceBody({ description: 'x'.repeat(2001) }), '/description'],
    ['missing conditions', { name: 'x' }, '/conditions'],
    ['conditions that are an array', anAudienceBody({ conditions: [{ country: 'US' }] }), '/conditions'],
    ['conditions that are a string', anAudienceBody({ conditions: 'country == US' }), '/conditions'],
    ['conditions that are null', anAudienceBody({ conditions: null }), '/conditions'],
    ['an unknown operator', anAudienceBody({ conditions: { age: { $foo: 1 } } }), '/conditions/age/$foo'],
    ['an unknown top-level operator', anAudienceBody({ conditions: { $where: 'true' } }), '/conditions/$where'],
    ['an invalid regex', anAudienceBody({ conditions: { email: { $regex: '([a-z' } } }), '/conditions/email/$regex'],
    ['a catastrophic regex', anAudienceBody({ conditions: { email: { $regex: '(a+)+$' } } }), '/conditions/email/$regex'],
    ['$in without an array', anAudienceBody({ conditions: { country: { $in: 'US' } } }), '/conditions/country/$in'],
    ['$or without an array', anAudienceBody({ conditions: { $or: { country: 'US' } } }), '/conditions/$or'],
    ['$gt with an array', anAudienceBody({ conditions: { $and: [{ age: { $gt: [1] } }] } }), '/conditions/$and/0/age/$gt'],
    ['conditions nested 11 levels deep', anAudienceBody({ conditions: nested(11) }), `/conditions${'/a'.repeat(10)}`],
    ['conditions over 16 KiB', anAudienceBody({ conditions: ofSize(16 * 1024 + 1) }), '/conditions'],
  ]
  it.each(rejected)('returns 400 VALIDATION_FAILED for %s, naming %s, and stores nothing', async (_case, body, path) => {
    const before = await countRows()
    const response = await audiences('POST', '', body)
    expectValidationFailed(response, path)
    expect(response.body.requestId).toBe(response.headers['x-request-id'])
    expect(await countRows()).toBe(before)
  })
})

describe('GET /api/audiences', () => {
  const owner = aTenant()
  const ids: string[] = [] // in creation order
  const list = (query = '') => audiences('GET', query, undefined, owner)

  beforeAll(async () => {
    for (let i = 0; i < 7; i++) ids.push((await createAudience(gw, owner, { name: `aud ${i}` })).id)
    await audiences('DELETE', `/${ids[6]}`, undefined, owner)
  })

  it('lists newest first in the experiments list envelope, without deleted audiences', async () => {
    const { status, body } = await list()
    expect(status).toBe(200)
    expect(body.meta).toEqual({ total: 6, page: 1, limit: 20, totalPages: 1 })
    expect(body.data.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 6).reverse())
    expect(body.data[0]).toEqual((await audiences('GET', `/${ids[5]}`, undefined, owner)).body.data)
  })

  it('pages without overlap or gaps', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => list(`?page=${page}&limit=2`)))
    expect(pages.map((p) => p.body.meta)).toEqual([1, 2, 3].map((page) => ({ total: 6, page, limit: 2, totalPages: 3 })))
    expect(pages.flatMap((p) => p.body.data.map((a: { id: string }) => a.id))).toEqual(ids.slice(0, 6).reverse())
  })

  it('returns empty data with correct meta past the last page, and accepts limit=100', async () => {
    expect((await list('?page=4&limit=2')).body).toEqual({ data: [], meta: { total: 6, page: 4, limit: 2, totalPages: 3 } })
    expect((await list('?limit=100')).body.data).toHaveLength(6)
  })

  it.each([
    ['page', 'abc'],
    ['page', '0'],
    ['page', '-1'],
    ['page', '1.5'],
    ['page', ''],
    ['page', '01'],
    ['limit', '0'],
    ['limit', '1.5'],
    ['limit', ''],
    ['limit', '101'],
  ])('returns 400 naming %s for %j', async (param, value) => {
    const response = await list(`?${param}=${encodeURIComponent(value)}`)
    expectValidationFailed(response, `/${param}`)
    expect(response.body.error.message).toContain(param)
  })

  it('returns 400 for an unknown query parameter', async () => {
    expectValidationFailed(await list('?status=draft'), '/status')
  })
})

describe('GET /api/audiences/:id', () => {
  it('returns 404 AUDIENCE_NOT_FOUND for an unknown id', async () => {
    const { status, body } = await audiences('GET', '/aud_unknown')
    expect(status).toBe(404)
    expect(body.error).toEqual({ code: 'AUDIENCE_NOT_FOUND', message: 'audience aud_unknown does not exist' })
  })

  it('returns 400 for an id longer than 128 characters', async () => {
    expectValidationFailed(await audiences('GET', `/${'a'.repeat(129)}`), '/id')
  })
})

describe('PATCH /api/audiences/:id', () => {
  it('changes only the fields given and moves updatedAt', async () => {
    const aud = await createAudience(gw, tenant)
    const { status, body } = await audiences('PATCH', `/${aud.id}`, { name: 'Renamed' })
    expect(status).toBe(200)
    expect(body.data).toEqual({ ...aud, name: 'Renamed', updatedAt: expect.any(String) })
    expect(body.data.updatedAt > aud.updatedAt).toBe(true)
    const cleared = await audiences('PATCH', `/${aud.id}`, { description: null, conditions: { country: 'DE' } })
    expect(cleared.body.data).toMatchObject({ name: 'Renamed', description: null, conditions: { country: 'DE' } })
    expect((await audiences('GET', `/${aud.id}`)).body.data).toEqual(cleared.body.data)
  })

  it('republishes the config of a running experiment that uses the audience', async () => {
    const aud = await createAudience(gw, tenant, { conditions: { country: 'US' } })
    const exp = await createExperiment(gw, tenant, { audienceId: aud.id })
    expect((await call(gw, 'POST', `/api/experiments/${exp.id}/start`, tenant)).status).toBe(200)
    await audiences('PATCH', `/${aud.id}`, { conditions: { country: 'FR' } })
    const published = JSON.parse((await gw.redis.hget(redisKeys.configs, exp.id))!)
    expect(published.audience).toEqual({ id: aud.id, conditions: { country: 'FR' } })
  })

  const rejected: [string, unknown, string][] = [
    ['an empty body', {}, '/'],
    ['an unknown field', { owner: 'me' }, '/owner'],
    ['an empty name', { name: '' }, '/name'],
    ['conditions that are an array', { conditions: [] }, '/conditions'],
    ['an unknown operator', { conditions: { age: { $foo: 1 } } }, '/conditions/age/$foo'],
    ['an invalid regex', { conditions: { email: { $regex: '*' } } }, '/conditions/email/$regex'],
  ]
  it.each(rejected)('returns 400 VALIDATION_FAILED for %s, naming %s, and changes nothing', async (_case, body, path) => {
    const aud = await createAudience(gw, tenant)
    expectValidationFailed(await audiences('PATCH', `/${aud.id}`, body), path)
    expect((await audiences('GET', `/${aud.id}`)).body.data).toEqual(aud)
  })

  it('returns 404 for an unknown or deleted audience', async () => {
    const aud = await createAudience(gw, tenant)
    await audiences('DELETE', `/${aud.id}`)
    for (const id of ['aud_unknown', aud.id]) expect((await audiences('PATCH', `/${id}`, { name: 'x' })).status).toBe(404)
  })
})

describe('DELETE /api/audiences/:id', () => {
  const archive = (id: string) => call(gw, 'DELETE', `/api/experiments/${id}`, tenant)

  it('returns 409 AUDIENCE_IN_USE while a non-archived experiment uses it; 204 once archived; repeats are harmless', async () => {
    const aud = await createAudience(gw, tenant)
    const exp = await createExperiment(gw, tenant, { audienceId: aud.id })

    const refused = await audiences('DELETE', `/${aud.id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('AUDIENCE_IN_USE')
    expect(refused.body.error.details[0].experimentIds).toEqual([exp.id])
    expect((await audiences('GET', `/${aud.id}`)).body.data).toEqual(aud)

    expect((await archive(exp.id)).status).toBe(200)
    const deleted = await audiences('DELETE', `/${aud.id}`)
    expect(deleted.status).toBe(204)
    expect(deleted.body).toBeUndefined()
    expect((await audiences('GET', `/${aud.id}`)).status).toBe(404)
    expect((await audiences('DELETE', `/${aud.id}`)).status).toBe(204)
  })

  it.each(['running', 'stopped', 'completed'] as const)('returns 409 AUDIENCE_IN_USE while a %s experiment uses it', async (status) => {
    const aud = await createAudience(gw, tenant)
    const exp = await createExperiment(gw, tenant, { audienceId: aud.id })
    await gw.db.updateTable('experiments').set({ status }).where('id', '=', exp.id).execute()
    expect((await audiences('DELETE', `/${aud.id}`)).body.error.code).toBe('AUDIENCE_IN_USE')
    expect((await audiences('GET', `/${aud.id}`)).status).toBe(200)
  })

  it('returns 404 for an unknown audience', async () => {
    expect((await audiences('DELETE', '/aud_unknown')).body.error.code).toBe('AUDIENCE_NOT_FOUND')
  })

  it("returns 404, not 204, for another tenant's audience, even a deleted one", async () => {
    const aud = await createAudience(gw, tenant)
    const intruder = aTenant()
    expect((await audiences('DELETE', `/${aud.id}`, undefined, intruder)).status).toBe(404)
    expect((await audiences('GET', `/${aud.id}`)).status).toBe(200)
    await audiences('DELETE', `/${aud.id}`)
    expect((await audiences('DELETE', `/${aud.id}`, undefined, intruder)).status).toBe(404)
  })

  it('makes the audience unusable: creating or patching an experiment with it is 400 naming /audienceId', async () => {
    const aud = await createAudience(gw, tenant)
    expect((await audiences('DELETE', `/${aud.id}`)).status).toBe(204)
    const created = await call(gw, 'POST', '/api/experiments', tenant, {
      name: 'x',
      audienceId: aud.id,
      variants: [
        { name: 'A', splitPercentage: 50 },
        { name: 'B', splitPercentage: 50 },
      ],
    })
    expectValidationFailed(created, '/audienceId')
    const draft = await createExperiment(gw, tenant)
    expectValidationFailed(await call(gw, 'PATCH', `/api/experiments/${draft.id}`, tenant, { audienceId: aud.id }), '/audienceId')
    expect((await call(gw, 'GET', `/api/experiments/${draft.id}`, tenant)).body.data.audienceId).toBeNull()
  })
})
