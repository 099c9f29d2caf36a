import { beforeAll, describe, expect, it } from 'vitest'
import { aTenant } from '../../../../../test-support/tokens.js'
import { call, createExperiment, useGateway } from '../../helpers.js'

const gw = useGateway()
const tenant = aTenant()
const ids: string[] = [] // in creation order
const list = (query = '') => call(gw, 'GET', `/api/experiments${query}`, tenant)

beforeAll(async () => {
  for (let i = 0; i < 25; i++) ids.push((await createExperiment(gw, tenant, { name: `exp ${i}` })).id)
  // Same created_at for two rows: order must still be stable, broken by id.
  await gw.db
    .updateTable('experiments')
    .set({ created_at: new Date('2030-01-01T00:00:00Z') })
    .where('id', 'in', [ids[3]!, ids[4]!])
    .execute()
  const set = (id: string, status: 'running' | 'stopped' | 'completed' | 'archived') =>
    gw.db.updateTable('experiments').set({ status }).where('id', '=', id).execute()
  await set(ids[0]!, 'running')
  await set(ids[1]!, 'stopped')
  await set(ids[2]!, 'completed')
  await set(ids[5]!, 'archived')
})

describe('GET /api/experiments', () => {
  it('returns the first 20, newest first, with the seed meta', async () => {
    const { status, body } = await list()
    expect(status).toBe(200)
    expect(body.meta).toEqual({ total: 24, page: 1, limit: 20, totalPages: 2 })
    expect(body.data).toHaveLength(20)
    const tied = [ids[3]!, ids[4]!].sort().reverse()
    expect(body.data.slice(0, 2).map((e: { id: string }) => e.id)).toEqual(tied)
    const created = body.data.map((e: { createdAt: string }) => e.createdAt)
    expect([...created].sort().reverse()).toEqual(created)
  })

  it('list items carry every seed field, and variants without their configs', async () => {
    const { body } = await list('?limit=1')
    const item = body.data[0]
    for (const field of ['id', 'name', 'description', 'type', 'status', 'audienceId', 'startDate', 'endDate', 'createdAt', 'updatedAt', 'variants', '_count']) {
      expect(item).toHaveProperty(field)
    }
    expect(Object.keys(item.variants[0]).sort()).toEqual(['flowId', 'id', 'name', 'splitPercentage'])
    expect(item._count).toEqual({ assignments: 0 })
  })

  it('pages without overlap or gaps', async () => {
    const seen: string[] = []
    for (let page = 1; page <= 5; page++) {
      const { body } = await list(`?page=${page}&limit=5`)
      expect(body.meta).toEqual({ total: 24, page, limit: 5, totalPages: 5 })
      seen.push(...body.data.map((e: { id: string }) => e.id))
    }
    expect(new Set(seen).size).toBe(24)
    expect(seen).not.toContain(ids[5])
  })

  it('returns empty data with correct meta for a page past the end', async () => {
    const { status, body } = await list('?page=9&limit=10')
    expect(status).toBe(200)
    expect(body).toEqual({ data: [], meta: { total: 24, page: 9, limit: 10, totalPages: 3 } })
  })

  it('accepts limit=100', async () => {
    const { body } = await list('?limit=100')
    expect(body.data).toHaveLength(24)
  })

  it.each([
    ['draft', 21],
    ['running', 1],
    ['stopped', 1],
    ['completed', 1],
    ['archived', 1],
  ])('filters by status=%s', async (status, count) => {
    const { body } = await list(`?status=${status}`)
    expect(body.meta.total).toBe(count)
    expect(body.data.every((e: { status: string }) => e.status === status)).toBe(true)
  })

  it.each([
    ['page', 'abc'],
    ['page', '0'],
    ['page', '-1'],
    ['page', '1.5'],
    ['page', ''],
    ['page', '01'],
    ['limit', 'abc'],
    ['limit', '0'],
    ['limit', '-1'],
    ['limit', '1.5'],
    ['limit', ''],
    ['limit', '101'],
  ])('returns 400 naming %s for %j', async (param, value) => {
    const { status, body } = await list(`?${param}=${encodeURIComponent(value)}`)
    expect(status).toBe(400)
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.details[0].path).toBe(`/${param}`)
    expect(body.error.message).toContain(param)
  })

  it('returns 400 for an unknown status and an unknown parameter', async () => {
    expect((await list('?status=paused')).body.error.details[0].path).toBe('/status')
    expect((await list('?sort=name')).body.error.details[0].path).toBe('/sort')
  })

  it("never shows another tenant's experiments", async () => {
    const { body } = await call(gw, 'GET', '/api/experiments', aTenant())
    expect(body).toEqual({ data: [], meta: { total: 0, page: 1, limit: 20, totalPages: 0 } })
  })
})
