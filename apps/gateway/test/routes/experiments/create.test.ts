import { describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../../../../test-support/tokens.js'
import { anExperimentBody, call, useGateway } from '../../helpers.js'

const gw = useGateway()
const tenant = aTenant()
const create = (body: unknown) => call(gw, 'POST', '/api/experiments', tenant, body)
const withVariants = (...variants: object[]) => anExperimentBody({ variants })
const v = (name: string, splitPercentage: number, extra: object = {}) => ({ name, splitPercentage, ...extra })

const countRows = async () => (await gw.db.selectFrom('experiments').select('id').where('tenant_id', '=', tenant).execute()).length

describe('POST /api/experiments', () => {
  it('returns 201 with the stored experiment in the seed shape', async () => {
    const { status, body } = await create(anExperimentBody({ audienceId: null }))
    expect(status).toBe(201)
    const exp = body.data
    expect(exp.id).toMatch(/^exp_[0-9a-z]{16}$/)
    expect(exp).toMatchObject({
      name: 'Onboarding Flow Test',
      description: 'Compare short vs. detailed onboarding',
      type: 'ab_test',
      status: 'draft',
      audienceId: null,
      startDate: null,
      endDate: null,
      seed: exp.id,
      _count: { assignments: 0 },
    })
    expect(exp.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(exp.updatedAt).toBe(exp.createdAt)
    expect(exp.variants).toEqual([
      { id: expect.stringMatching(/^var_/), name: 'Control', splitPercentage: 50, flowId: 'flow_a', config: {} },
      { id: expect.stringMatching(/^var_/), name: 'Detailed', splitPercentage: 50, flowId: 'flow_b', config: { steps: 5 } },
    ])
    const fetched = await call(gw, 'GET', `/api/experiments/${exp.id}`, tenant)
    expect(fetched.body.data).toEqual(exp)
  })

  it('defaults type to ab_test and flowId/config when omitted', async () => {
    const { status, body } = await create({ name: 'minimal', variants: [v('A', 50), v('B', 50)] })
    expect(status).toBe(201)
    expect(body.data.type).toBe('ab_test')
    expect(body.data.description).toBeNull()
    expect(body.data.variants.map((x: { flowId: unknown; config: unknown }) => [x.flowId, x.config])).toEqual([
      [null, {}],
      [null, {}],
    ])
  })

  it('accepts splits with two decimals that sum to exactly 100', async () => {
    const { status, body } = await create(withVariants(v('A', 33.33), v('B', 33.33), v('C', 33.34)))
    expect(status).toBe(201)
    expect(body.data.variants.map((x: { splitPercentage: number }) => x.splitPercentage)).toEqual([33.33, 33.33, 33.34])
  })

  it('accepts a future endDate and an explicit seed', async () => {
    const endDate = new Date(Date.now() + 86_400_000).toISOString()
    const { status, body } = await create(anExperimentBody({ endDate, seed: 'my-seed' }))
    expect(status).toBe(201)
    expect(body.data.endDate).toBe(endDate)
    expect(body.data.seed).toBe('my-seed')
  })

  /** A config whose objects nest `depth` levels deep, itself the first. */
  const nested = (depth: number) => {
    let config: Record<string, unknown> = {}
    for (let level = 1; level < depth; level++) config = { d: config }
    return config
  }
  it('accepts a config nested 32 levels deep', async () => {
    expect((await create(withVariants(v('A', 50, { config: nested(32) }), v('B', 50)))).status).toBe(201)
  })
  it('returns 400, not 500, for a config nested 5000 levels deep, which fits in 16 KiB but not on the stack of JSON.stringify', async () => {
    const before = await countRows()
    // Written by hand: JSON.stringify cannot write it either.
    const config = `${'{"d":'.repeat(4999)}{}${'}'.repeat(4999)}`
    const body = JSON.stringify(withVariants(v('A', 50, { config: '<config>' }), v('B', 50))).replace('"<config>"', config)
    const response = await gw.app.inject({
      method: 'POST',
      url: '/api/experiments',
      headers: { ...bearer(tenant), 'content-type': 'application/json' },
      payload: body,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.details.map((d: { path: string }) => d.path)).toEqual(['/variants/0/config'])
    expect(await countRows()).toBe(before)
  })

  const rejected: [string, unknown, string][] = [
    ['splits that sum to 99.99 (50 + 49.99)', withVariants(v('A', 50), v('B', 49.99)), '/variants'],
    ['splits that sum to more than 100', withVariants(v('A', 60), v('B', 50)), '/variants'],
    ['a split with three decimals', withVariants(v('A', 50.005), v('B', 49.995)), '/variants/0/splitPercentage'],
    ['a split above 100', withVariants(v('A', 101), v('B', -1)), '/variants/0/splitPercentage'],
    ['a negative split', withVariants(v('A', 101), v('B', -1)), '/variants/1/splitPercentage'],
    ['a split that is a string', withVariants(v('A', '50' as unknown as number), v('B', 50)), '/variants/0/splitPercentage'],
    ['one variant', withVariants(v('A', 100)), '/variants'],
    ['21 variants', withVariants(...Array.from({ length: 21 }, (_, i) => v(`V${i}`, i === 0 ? 100 : 0))), '/variants'],
    ['duplicate variant names', withVariants(v('A', 50), v('A', 50)), '/variants/1/name'],
    ['an empty name', anExperimentBody({ name: '' }), '/name'],
    ['a name of 201 characters', anExperimentBody({ name: 'x'.repeat(201) }), '/name'],
    ['a description of 2001 characters', anExperimentBody({ description: 'x'.repeat(2001) }), '/description'],
    ['an unknown type', anExperimentBody({ type: 'multi_armed' }), '/type'],
    ['an unknown top-level field', anExperimentBody({ owner: 'me' }), '/owner'],
    ['an unknown variant field', withVariants(v('A', 50, { weight: 1 }), v('B', 50)), '/variants/0/weight'],
    ['a variant id on create', withVariants(v('A', 50, { id: 'v1' }), v('B', 50)), '/variants/0/id'],
    ['a config that is an array', withVariants(v('A', 50, { config: [] }), v('B', 50)), '/variants/0/config'],
    ['a config over 16 KiB', withVariants(v('A', 50, { config: { blob: 'x'.repeat(16 * 1024) } }), v('B', 50)), '/variants/0/config'],
    ['a config nested 33 levels deep', withVariants(v('A', 50, { config: nested(33) }), v('B', 50)), '/variants/0/config'],
    ['a flowId that is a number', withVariants(v('A', 50, { flowId: 7 }), v('B', 50)), '/variants/0/flowId'],
    ['an endDate in the past', anExperimentBody({ endDate: '2020-01-01T00:00:00Z' }), '/endDate'],
    ['an endDate that is not a date', anExperimentBody({ endDate: 'tomorrow' }), '/endDate'],
    ['an endDate with an offset PostgreSQL refuses (+16:00)', anExperimentBody({ endDate: '2030-01-01T00:00:00+16:00' }), '/endDate'],
    ['an endDate on 30 February', anExperimentBody({ endDate: '2030-02-30T00:00:00Z' }), '/endDate'],
    ['an endDate with a leap second', anExperimentBody({ endDate: '2030-06-30T23:59:60Z' }), '/endDate'],
    ['an endDate of 1000 fraction digits', anExperimentBody({ endDate: `2030-01-01T00:00:00.${'9'.repeat(1000)}Z` }), '/endDate'],
    ['an audienceId that does not exist', anExperimentBody({ audienceId: 'aud_missing' }), '/audienceId'],
    ['a missing name', { variants: [v('A', 50), v('B', 50)] }, '/name'],
    ['missing variants', { name: 'x' }, '/variants'],
  ]
  it.each(rejected)('returns 400 VALIDATION_FAILED for %s and stores nothing', async (_case, body, path) => {
    const before = await countRows()
    const response = await create(body)
    expect(response.status).toBe(400)
    expect(response.body.error.code).toBe('VALIDATION_FAILED')
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect(response.body.requestId).toEqual(expect.any(String))
    expect(await countRows()).toBe(before)
  })

  it("returns 400 for another tenant's audience", async () => {
    const other = aTenant()
    const audience = await call(gw, 'POST', '/api/audiences', other, { name: 'theirs', conditions: {} })
    const response = await create(anExperimentBody({ audienceId: audience.body.data.id }))
    expect(response.status).toBe(400)
    expect(response.body.error.details[0].path).toBe('/audienceId')
  })

  it('returns 400 INVALID_JSON for a malformed body', async () => {
    const response = await gw.app.inject({
      method: 'POST',
      url: '/api/experiments',
      headers: { ...bearer(tenant), 'content-type': 'application/json' },
      payload: '{"name": ',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('INVALID_JSON')
  })
})
