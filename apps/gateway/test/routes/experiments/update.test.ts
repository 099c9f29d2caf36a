import { describe, expect, it } from 'vitest'
import { aTenant } from '../../../../../test-support/tokens.js'
import { call, createExperiment, useGateway } from '../../helpers.js'

const gw = useGateway()
const tenant = aTenant()
const patch = (id: string, body: unknown) => call(gw, 'PATCH', `/api/experiments/${id}`, tenant, body)

describe('GET /api/experiments/:id', () => {
  it('returns 404 EXPERIMENT_NOT_FOUND for an unknown id', async () => {
    const { status, body } = await call(gw, 'GET', '/api/experiments/exp_missing', tenant)
    expect(status).toBe(404)
    expect(body.error).toEqual({ code: 'EXPERIMENT_NOT_FOUND', message: 'experiment exp_missing does not exist' })
  })
})

describe('PATCH /api/experiments/:id', () => {
  it('changes only the fields given', async () => {
    const exp = await createExperiment(gw, tenant)
    const { status, body } = await patch(exp.id, { name: 'Renamed' })
    expect(status).toBe(200)
    expect(body.data).toMatchObject({ name: 'Renamed', description: exp.description, variants: exp.variants })
    expect(body.data.updatedAt > exp.updatedAt).toBe(true)
  })

  it('replaces the variant list, keeping the ids of variants that carry one', async () => {
    const exp = await createExperiment(gw, tenant)
    const [control] = exp.variants
    const { status, body } = await patch(exp.id, {
      variants: [
        { id: control.id, name: 'Control', splitPercentage: 40, flowId: 'flow_a' },
        { name: 'New', splitPercentage: 30 },
        { name: 'Newer', splitPercentage: 30, config: { color: 'red' } },
      ],
    })
    expect(status).toBe(200)
    expect(body.data.variants).toHaveLength(3)
    expect(body.data.variants[0]).toEqual({ id: control.id, name: 'Control', splitPercentage: 40, flowId: 'flow_a', config: {} })
    expect(body.data.variants[1].id).not.toBe(exp.variants[1].id)
    expect(body.data.variants[2].config).toEqual({ color: 'red' })
    const stored = await gw.db.selectFrom('variants').select('id').where('experiment_id', '=', exp.id).execute()
    expect(stored).toHaveLength(3)
  })

  it('sets and clears description, endDate and audienceId', async () => {
    const exp = await createExperiment(gw, tenant)
    const audience = (await call(gw, 'POST', '/api/audiences', tenant, { name: 'all', conditions: {} })).body.data
    const endDate = new Date(Date.now() + 3_600_000).toISOString()
    const set = await patch(exp.id, { description: null, endDate, audienceId: audience.id })
    expect(set.body.data).toMatchObject({ description: null, endDate, audienceId: audience.id })
    const cleared = await patch(exp.id, { endDate: null, audienceId: null })
    expect(cleared.body.data).toMatchObject({ endDate: null, audienceId: null })
  })

  it.each([
    ['an empty body', {}, '/'],
    ['an unknown field', { status: 'running' }, '/status'],
    [
      'a variant id of another experiment',
      {
        variants: [
          { id: 'var_elsewhere', name: 'A', splitPercentage: 50 },
          { name: 'B', splitPercentage: 50 },
        ],
      },
      '/variants/0/id',
    ],
    [
      'splits that do not sum to 100',
      {
        variants: [
          { name: 'A', splitPercentage: 50 },
          { name: 'B', splitPercentage: 49.99 },
        ],
      },
      '/variants',
    ],
  ])('returns 400 for %s and changes nothing', async (_case, body, path) => {
    const exp = await createExperiment(gw, tenant)
    const response = await patch(exp.id, body)
    expect(response.status).toBe(400)
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect((await call(gw, 'GET', `/api/experiments/${exp.id}`, tenant)).body.data).toEqual(exp)
  })

  it.each(['running', 'stopped', 'completed', 'archived'] as const)('returns 409 NOT_IN_DRAFT when the experiment is %s', async (status) => {
    const exp = await createExperiment(gw, tenant)
    await gw.db.updateTable('experiments').set({ status }).where('id', '=', exp.id).execute()
    const response = await patch(exp.id, { name: 'too late' })
    expect(response.status).toBe(409)
    expect(response.body.error.code).toBe('NOT_IN_DRAFT')
    expect(response.body.error.message).toContain(status)
    const row = await gw.db.selectFrom('experiments').select('name').where('id', '=', exp.id).executeTakeFirstOrThrow()
    expect(row.name).toBe(exp.name)
  })

  it('returns 404 for an unknown experiment', async () => {
    expect((await patch('exp_nope', { name: 'x' })).status).toBe(404)
  })
})
