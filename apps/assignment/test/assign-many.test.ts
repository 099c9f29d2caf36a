import { redisKeys } from '@experiments/contracts'
import { describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { aConfig, publish, settle, useAssignmentService } from './helpers.js'

const svc = useAssignmentService()

const assignMany = async (tenant: string, body: object) => {
  const response = await svc.app.inject({ method: 'POST', url: '/api/assignments', headers: bearer(tenant, 'assignments:write'), payload: body })
  return { status: response.statusCode, body: response.json() }
}

describe('POST /api/assignments', () => {
  it("answers for every running or stopped experiment of the tenant, and only the tenant's", async () => {
    const tenant = aTenant()
    const running = aConfig(tenant)
    const stopped = aConfig(tenant, { status: 'stopped' })
    const draft = aConfig(tenant, { status: 'draft' })
    const foreign = aConfig(aTenant())
    for (const c of [running, stopped, draft, foreign]) await publish(svc.redis, c)
    await settle()
    const { status, body } = await assignMany(tenant, { userId: 'u-1' })
    expect(status).toBe(200)
    const byId = Object.fromEntries(body.data.map((item: { experimentId: string }) => [item.experimentId, item]))
    expect(Object.keys(byId).sort()).toEqual([running.id, stopped.id].sort())
    expect(byId[running.id].reason).toBe('assigned')
    expect(byId[stopped.id]).toMatchObject({ reason: 'enrollment_closed', variant: null })
  })

  it('answers for the listed experiments only, with the same items as the single endpoint', async () => {
    const tenant = aTenant()
    const configs = [aConfig(tenant), aConfig(tenant), aConfig(tenant, { status: 'completed' })]
    for (const c of configs) await publish(svc.redis, c)
    const { body } = await assignMany(tenant, { userId: 'u-2', experimentIds: [configs[0]!.id, configs[2]!.id] })
    expect(body.data.map((i: { experimentId: string; reason: string }) => [i.experimentId, i.reason])).toEqual([
      [configs[0]!.id, 'assigned'],
      [configs[2]!.id, 'not_running'],
    ])
    const single = await svc.app.inject({
      method: 'POST',
      url: `/api/experiments/${configs[0]!.id}/assignments`,
      headers: bearer(tenant, 'assignments:write'),
      payload: { userId: 'u-2' },
    })
    expect(single.json().data).toEqual({ ...body.data[0], reason: 'existing' })
    expect(await svc.redis.exists(redisKeys.assignments(configs[1]!.id))).toBe(0)
  })

  it('applies the audience per experiment', async () => {
    const tenant = aTenant()
    const forPro = aConfig(tenant, { audience: { id: 'aud_pro', conditions: { plan: 'pro' } } })
    const forAll = aConfig(tenant)
    for (const c of [forPro, forAll]) await publish(svc.redis, c)
    const { body } = await assignMany(tenant, { userId: 'free-user', attributes: { plan: 'free' }, experimentIds: [forPro.id, forAll.id] })
    expect(body.data.map((i: { reason: string }) => i.reason)).toEqual(['audience_mismatch', 'assigned'])
  })

  it('returns 404 naming an unknown listed experiment, and records nothing', async () => {
    const tenant = aTenant()
    const known = aConfig(tenant)
    await publish(svc.redis, known)
    const { status, body } = await assignMany(tenant, { userId: 'u', experimentIds: [known.id, 'exp_unknown'] })
    expect(status).toBe(404)
    expect(body.error.message).toContain('exp_unknown')
    expect(await svc.redis.exists(redisKeys.assignments(known.id))).toBe(0)
  })

  it('returns an empty list for a tenant with no live experiments', async () => {
    expect((await assignMany(aTenant(), { userId: 'u' })).body).toEqual({ data: [] })
  })

  it.each([
    ['101 experimentIds', { userId: 'u', experimentIds: Array.from({ length: 101 }, (_, i) => `exp_${i}`) }, '/experimentIds'],
    ['duplicate experimentIds', { userId: 'u', experimentIds: ['exp_a', 'exp_a'] }, '/experimentIds'],
    ['experimentIds that is not an array', { userId: 'u', experimentIds: 'exp_a' }, '/experimentIds'],
    ['a missing userId', { experimentIds: [] }, '/userId'],
    ['non-object attributes', { userId: 'u', attributes: 7 }, '/attributes'],
  ])('returns 400 for %s', async (_case, body, path) => {
    const { status, body: response } = await assignMany(aTenant(), body)
    expect(status).toBe(400)
    expect(response.error.details.map((d: { path: string }) => d.path)).toContain(path)
  })
})
