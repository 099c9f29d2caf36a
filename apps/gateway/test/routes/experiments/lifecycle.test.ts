import { CONFIG_CHANNEL, redisKeys } from '@experiments/contracts'
import { connectRedis } from '@experiments/redis'
import { describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../../../../test-support/tokens.js'
import { call, createExperiment, useGateway } from '../../helpers.js'
import { testRedis } from '../../../../../test-support/context.js'

const gw = useGateway()
const tenant = aTenant()
type Status = 'draft' | 'running' | 'stopped' | 'completed' | 'archived'
const act = (id: string, action: string) => call(gw, 'POST', `/api/experiments/${id}/${action}`, tenant)

const inStatus = async (status: Status) => {
  const exp = await createExperiment(gw, tenant)
  if (status !== 'draft') await gw.db.updateTable('experiments').set({ status }).where('id', '=', exp.id).execute()
  return exp.id as string
}

const legal: [Status, string, Status][] = [
  ['draft', 'start', 'running'],
  ['stopped', 'start', 'running'],
  ['running', 'stop', 'stopped'],
  ['running', 'complete', 'completed'],
  ['stopped', 'complete', 'completed'],
  ['draft', 'archive', 'archived'],
  ['running', 'archive', 'archived'],
  ['stopped', 'archive', 'archived'],
  ['completed', 'archive', 'archived'],
  ['archived', 'archive', 'archived'],
]
const illegal: [Status, string][] = [
  ['running', 'start'],
  ['completed', 'start'],
  ['archived', 'start'],
  ['draft', 'stop'],
  ['stopped', 'stop'],
  ['completed', 'stop'],
  ['archived', 'stop'],
  ['draft', 'complete'],
  ['completed', 'complete'],
  ['archived', 'complete'],
]

const perform = (id: string, action: string) => (action === 'archive' ? call(gw, 'DELETE', `/api/experiments/${id}`, tenant) : act(id, action))

describe('experiment lifecycle', () => {
  it.each(legal)('%s → %s → %s', async (from, action, to) => {
    const id = await inStatus(from)
    const { status, body } = await perform(id, action)
    expect(status).toBe(200)
    expect(body.data.status).toBe(to)
    const row = await gw.db.selectFrom('experiments').select('status').where('id', '=', id).executeTakeFirstOrThrow()
    expect(row.status).toBe(to)
  })

  it.each(illegal)('%s → %s is 409 ILLEGAL_TRANSITION naming the status', async (from, action) => {
    const id = await inStatus(from)
    const { status, body } = await act(id, action)
    expect(status).toBe(409)
    expect(body.error.code).toBe('ILLEGAL_TRANSITION')
    expect(body.error.message).toContain(`it is ${from}`)
    expect(body.error.details[0].currentStatus).toBe(from)
    const row = await gw.db.selectFrom('experiments').select('status').where('id', '=', id).executeTakeFirstOrThrow()
    expect(row.status).toBe(from)
  })

  it('sets startDate on the first start only', async () => {
    const id = await inStatus('draft')
    const first = (await act(id, 'start')).body.data.startDate
    expect(first).toEqual(expect.any(String))
    await act(id, 'stop')
    const again = (await act(id, 'start')).body.data.startDate
    expect(again).toBe(first)
  })

  it('refuses to start an experiment whose endDate has passed', async () => {
    const id = await inStatus('draft')
    await gw.db
      .updateTable('experiments')
      .set({ end_date: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute()
    const { status, body } = await act(id, 'start')
    expect(status).toBe(409)
    expect(body.error.message).toContain('endDate')
    const row = await gw.db.selectFrom('experiments').select('status').where('id', '=', id).executeTakeFirstOrThrow()
    expect(row.status).toBe('draft')
  })

  it('of 20 concurrent starts exactly one succeeds', async () => {
    const id = await inStatus('draft')
    const results = await Promise.all(Array.from({ length: 20 }, () => act(id, 'start')))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(19)
  })

  it('DELETE keeps the archived experiment in the database and hides it from the default list', async () => {
    const id = await inStatus('running')
    await call(gw, 'DELETE', `/api/experiments/${id}`, tenant)
    expect((await call(gw, 'GET', `/api/experiments/${id}`, tenant)).body.data.status).toBe('archived')
    const listed = (await call(gw, 'GET', '/api/experiments?limit=100', tenant)).body.data.map((e: { id: string }) => e.id)
    expect(listed).not.toContain(id)
  })

  it('takes no body, or {}, and refuses one with fields without changing anything', async () => {
    const id = await inStatus('draft')
    const withBody = await call(gw, 'POST', `/api/experiments/${id}/start`, tenant, { force: true })
    expect(withBody.status).toBe(400)
    expect(withBody.body.error.details.map((d: { path: string }) => d.path)).toEqual(['/force'])
    expect((await gw.db.selectFrom('experiments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('draft')
    // JSON null is a body, and not an object: refused like any other non-object.
    const nullBody = await gw.app.inject({
      method: 'POST',
      url: `/api/experiments/${id}/start`,
      headers: { ...bearer(tenant), 'content-type': 'application/json' },
      payload: 'null',
    })
    expect(nullBody.statusCode).toBe(400)
    expect((await gw.db.selectFrom('experiments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('draft')
    expect((await call(gw, 'POST', `/api/experiments/${id}/start`, tenant, {})).status).toBe(200)
    expect((await act(id, 'stop')).status).toBe(200)
  })

  it('returns 404 for lifecycle actions on an unknown experiment', async () => {
    for (const action of ['start', 'stop', 'complete']) expect((await act('exp_unknown', action)).status).toBe(404)
    expect((await call(gw, 'DELETE', '/api/experiments/exp_unknown', tenant)).status).toBe(404)
  })
})

describe('publishing assignment configs to Redis', () => {
  const config = async (id: string) => {
    const json = await gw.redis.hget(redisKeys.configs, id)
    return json ? JSON.parse(json) : null
  }

  it('publishes a draft config on create, so assignment can tell "not running" from "unknown"', async () => {
    const exp = await createExperiment(gw, tenant)
    expect(await gw.redis.get(redisKeys.status(exp.id))).toBe('draft')
    expect(await config(exp.id)).toMatchObject({ id: exp.id, tenantId: tenant, status: 'draft' })
  })

  it('publishes the config on start, marks it stopped on stop, withdraws it on complete', async () => {
    const audience = (await call(gw, 'POST', '/api/audiences', tenant, { name: 'de', conditions: { country: 'DE' } })).body.data
    const exp = await createExperiment(gw, tenant, { audienceId: audience.id })
    const subscriber = await connectRedis(testRedis())
    const announced: string[] = []
    subscriber.on('message', (_channel, id) => announced.push(id))
    await subscriber.subscribe(CONFIG_CHANNEL)

    await act(exp.id, 'start')
    expect(await gw.redis.get(redisKeys.status(exp.id))).toBe('running')
    expect(await config(exp.id)).toMatchObject({
      id: exp.id,
      tenantId: tenant,
      seed: exp.id,
      status: 'running',
      audience: { id: audience.id, conditions: { country: 'DE' } },
      variants: [
        { id: exp.variants[0].id, name: 'Control', splitPercentage: 50, flowId: 'flow_a', config: {} },
        { id: exp.variants[1].id, name: 'Detailed', splitPercentage: 50, flowId: 'flow_b', config: { steps: 5 } },
      ],
    })
    expect(await gw.redis.sismember(redisKeys.streams, exp.id)).toBe(1)

    await act(exp.id, 'stop')
    expect(await gw.redis.get(redisKeys.status(exp.id))).toBe('stopped')
    expect((await config(exp.id)).status).toBe('stopped')

    await act(exp.id, 'complete')
    expect(await gw.redis.get(redisKeys.status(exp.id))).toBe('completed')
    expect(await config(exp.id)).toMatchObject({ status: 'completed', variants: [], audience: null })

    await new Promise((r) => setTimeout(r, 50))
    expect(announced.filter((id) => id === exp.id)).toHaveLength(3)
    subscriber.disconnect()
  })

  it('withdraws the config when a running experiment is archived', async () => {
    const exp = await createExperiment(gw, tenant)
    await act(exp.id, 'start')
    await call(gw, 'DELETE', `/api/experiments/${exp.id}`, tenant)
    expect(await gw.redis.get(redisKeys.status(exp.id))).toBe('archived')
    expect(await config(exp.id)).toMatchObject({ status: 'archived', variants: [], audience: null })
  })

  it('republishes running experiments when their audience conditions change', async () => {
    const audience = (await call(gw, 'POST', '/api/audiences', tenant, { name: 'x', conditions: { plan: 'free' } })).body.data
    const exp = await createExperiment(gw, tenant, { audienceId: audience.id })
    await act(exp.id, 'start')
    await call(gw, 'PATCH', `/api/audiences/${audience.id}`, tenant, { conditions: { plan: 'pro' } })
    expect((await config(exp.id)).audience.conditions).toEqual({ plan: 'pro' })
  })
})
