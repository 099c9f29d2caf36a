import { redisKeys } from '@experiments/contracts'
import { describe, expect, it, vi } from 'vitest'
import { aTenant } from '../../../../../test-support/tokens.js'
import { call, createExperiment, useGateway } from '../../helpers.js'

const gw = useGateway()
const tenant = aTenant()
const results = (id: string) => call(gw, 'GET', `/api/experiments/${id}/results`, tenant)

describe('GET /api/experiments/:id/results: exposure mismatches', () => {
  it("counts the users in the experiment's set of exposure mismatches (0 without one)", async () => {
    const { id } = await createExperiment(gw, tenant)
    const none = await results(id)
    expect(none.status).toBe(200)
    expect(none.body.data.exposureMismatches).toBe(0)
    expect(none.body.data).not.toHaveProperty('exposureMismatchesUnavailable')
    await gw.redis.sadd(redisKeys.exposureMismatches(id), 'u-1', 'u-2')
    expect((await results(id)).body.data.exposureMismatches).toBe(2)
  })

  it('stays readable while Redis is unavailable: the count is null, and says why', async () => {
    const { id } = await createExperiment(gw, tenant)
    const scard = vi.spyOn(gw.redis, 'scard').mockRejectedValueOnce(new Error('Connection is closed.'))
    try {
      const { status, body } = await results(id)
      expect(status).toBe(200)
      expect(body.data).toMatchObject({ experimentId: id, exposureMismatches: null, exposureMismatchesUnavailable: expect.stringContaining('Redis') })
      expect(body.data.variants).toHaveLength(2)
    } finally {
      scard.mockRestore()
    }
  })

  it('answers 500 for a Redis error that is not an outage, rather than hide it', async () => {
    const { id } = await createExperiment(gw, tenant)
    const scard = vi.spyOn(gw.redis, 'scard').mockRejectedValueOnce(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))
    try {
      expect((await results(id)).status).toBe(500)
    } finally {
      scard.mockRestore()
    }
  })
})
