import { redisKeys, type AssignmentConfig } from '@experiments/contracts'
import { describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { aConfig, publish, settle, useAssignmentService } from './helpers.js'

const svc = useAssignmentService()
const tenant = aTenant()

type Exposure = { experimentId: string; userId: string; variantId: string; timestamp?: string }

const postBody = async (payload: unknown, headers = bearer(tenant, 'assignments:write')) => {
  const response = await svc.app.inject({ method: 'POST', url: '/api/exposures', headers, payload: payload as object })
  return { status: response.statusCode, body: response.json(), headers: response.headers }
}
const expose = (exposures: Exposure[], headers?: { authorization: string }) => postBody({ exposures }, headers)

const assign = async (experimentId: string, userId: string) => {
  const response = await svc.app.inject({
    method: 'POST',
    url: `/api/experiments/${experimentId}/assignments`,
    headers: bearer(tenant, 'assignments:write'),
    payload: { userId },
  })
  return response.json().data as { variant: { id: string } | null; reason: string }
}

const running = async (overrides: Partial<AssignmentConfig> = {}) => {
  const config = aConfig(tenant, overrides)
  await publish(svc.redis, config)
  return config
}
const variantIds = (config: AssignmentConfig) => config.variants.map((v) => v.id) as [string, string]

/** What Redis holds of the experiment's assignments: sticky map, counts, stream length and mismatch set. */
const recorded = async (experimentId: string) => ({
  sticky: await svc.redis.hgetall(redisKeys.assignments(experimentId)),
  counts: await svc.redis.hgetall(redisKeys.counts(experimentId)),
  streamed: await svc.redis.xlen(redisKeys.assignmentStream(experimentId)),
  mismatches: (await svc.redis.smembers(redisKeys.exposureMismatches(experimentId))).sort(),
})
const streamTimes = async (experimentId: string) =>
  (await svc.redis.xrange(redisKeys.assignmentStream(experimentId), '-', '+')).map(([, fields]) => Number(fields[fields.indexOf('t') + 1]))

const tally = (counts: Partial<Record<'assigned' | 'existing' | 'mismatches' | 'enrollmentClosed', number>>, accepted: number) => ({
  data: { accepted, assigned: 0, existing: 0, mismatches: 0, enrollmentClosed: 0, ...counts },
})

describe('POST /api/exposures', () => {
  it("records an exposure as the user's assignment: sticky, counted once, streamed", async () => {
    const config = await running()
    const [, b] = variantIds(config)
    const answer = await expose([{ experimentId: config.id, userId: 'u-1', variantId: b }])
    expect(answer.status).toBe(202)
    expect(answer.body).toEqual(tally({ assigned: 1 }, 1))
    expect(await recorded(config.id)).toEqual({ sticky: { 'u-1': '1' }, counts: { [b]: '1' }, streamed: 1, mismatches: [] })
    expect(await assign(config.id, 'u-1')).toMatchObject({ reason: 'existing', variant: { id: b } })
  })

  it("takes the SDK's variant whatever the hash or the audience would choose", async () => {
    const config = await running({ audience: { id: 'aud_1', conditions: { country: 'DE' } } })
    const users = Array.from({ length: 20 }, (_, i) => `any-${i}`)
    const [a, b] = variantIds(config)
    const answer = await expose(users.map((userId, i) => ({ experimentId: config.id, userId, variantId: i % 2 ? b : a })))
    expect(answer.body).toEqual(tally({ assigned: 20 }, 20))
    expect((await recorded(config.id)).counts).toEqual({ [a]: '10', [b]: '10' })
  })

  it('counts the same exposure once, in one batch or sent again', async () => {
    const config = await running()
    const [a] = variantIds(config)
    const exposure = { experimentId: config.id, userId: 'twice', variantId: a }
    expect((await expose([exposure, exposure])).body).toEqual(tally({ assigned: 1, existing: 1 }, 2))
    expect((await expose([exposure])).body).toEqual(tally({ existing: 1 }, 1))
    expect(await recorded(config.id)).toEqual({ sticky: { twice: '0' }, counts: { [a]: '1' }, streamed: 1, mismatches: [] })
  })

  it('lets the first write win: a later variant is a mismatch, counted once per user however often it is sent', async () => {
    const config = await running()
    const assigned = await assign(config.id, 'hashed')
    const other = variantIds(config).find((id) => id !== assigned.variant!.id)!
    const [a, b] = variantIds(config)
    const mismatch = { experimentId: config.id, userId: 'hashed', variantId: other }
    expect((await expose([mismatch])).body).toEqual(tally({ mismatches: 1 }, 1))
    expect((await expose([mismatch, mismatch])).body).toEqual(tally({ mismatches: 2 }, 2))
    // An exposure first, then another variant for the same user in the same batch.
    expect(
      (
        await expose([
          { ...mismatch, userId: 'sdk', variantId: a },
          { ...mismatch, userId: 'sdk', variantId: b },
        ])
      ).body,
    ).toEqual(tally({ assigned: 1, mismatches: 1 }, 2))
    const state = await recorded(config.id)
    expect(state.mismatches).toEqual(['hashed', 'sdk'])
    expect(state.sticky).toEqual({ hashed: String(config.variants.findIndex((v) => v.id === assigned.variant!.id)), sdk: '0' })
    expect(state.streamed).toBe(2)
    expect(await assign(config.id, 'hashed')).toMatchObject({ reason: 'existing', variant: { id: assigned.variant!.id } })
  })

  it("records the assignment at the exposure's timestamp, never later than its receipt, and now without one", async () => {
    const config = await running()
    const [a] = variantIds(config)
    const before = Date.now()
    await expose([
      { experimentId: config.id, userId: 'past', variantId: a, timestamp: '2026-01-02T03:04:05.678+01:00' },
      { experimentId: config.id, userId: 'ahead', variantId: a, timestamp: new Date(before + 60_000).toISOString() },
      { experimentId: config.id, userId: 'none', variantId: a },
    ])
    const after = Date.now()
    const [past, ahead, none] = await streamTimes(config.id)
    expect(past).toBe(Date.parse('2026-01-02T02:04:05.678Z'))
    for (const t of [ahead!, none!]) {
      expect(t).toBeGreaterThanOrEqual(before)
      expect(t).toBeLessThanOrEqual(after)
    }
  })

  it('takes exposures of a stopped experiment only for users already in it: others are enrollment_closed and not recorded', async () => {
    const config = await running()
    const [a, b] = variantIds(config)
    await expose([
      { experimentId: config.id, userId: 'early-a', variantId: a },
      { experimentId: config.id, userId: 'early-b', variantId: b },
    ])
    await publish(svc.redis, { ...config, status: 'stopped', version: config.version + 1 })
    await settle()
    const answer = await expose([
      { experimentId: config.id, userId: 'early-a', variantId: a },
      { experimentId: config.id, userId: 'early-b', variantId: a },
      { experimentId: config.id, userId: 'late', variantId: a },
    ])
    expect(answer.status).toBe(202)
    expect(answer.body).toEqual(tally({ existing: 1, mismatches: 1, enrollmentClosed: 1 }, 3))
    expect(await recorded(config.id)).toEqual({
      sticky: { 'early-a': '0', 'early-b': '1' },
      counts: { [a]: '1', [b]: '1' },
      streamed: 2,
      mismatches: ['early-b'],
    })
  })

  it('enforces a stop at once even when this replica still caches the experiment as running', async () => {
    const config = await running()
    await svc.redis.set(redisKeys.status(config.id), 'stopped')
    expect((await expose([{ experimentId: config.id, userId: 'newcomer', variantId: variantIds(config)[0] }])).body).toEqual(tally({ enrollmentClosed: 1 }, 1))
    expect(await svc.redis.exists(redisKeys.assignments(config.id))).toBe(0)
  })

  const refusals: [string, (valid: AssignmentConfig) => Promise<Exposure>, string, string][] = [
    [
      'an unknown experiment',
      async () => ({ experimentId: 'exp_nope', userId: 'u', variantId: 'v' }),
      '/exposures/1/experimentId',
      'experiment exp_nope does not exist',
    ],
    [
      "another tenant's experiment",
      async () => {
        const theirs = aConfig(aTenant())
        await publish(svc.redis, theirs)
        return { experimentId: theirs.id, userId: 'u', variantId: theirs.variants[0]!.id }
      },
      '/exposures/1/experimentId',
      'does not exist',
    ],
    ...(['draft', 'completed', 'archived'] as const).map((status): [string, (valid: AssignmentConfig) => Promise<Exposure>, string, string] => [
      `a ${status} experiment`,
      async () => {
        // Completed and archived experiments are published without variants.
        const config = await running({ status, ...(status === 'draft' ? {} : { variants: [] }) })
        return { experimentId: config.id, userId: 'u', variantId: `${config.id}_a` }
      },
      '/exposures/1/experimentId',
      `is ${status}: exposures are taken only while it is running or stopped`,
    ]),
    [
      'a variant the experiment does not have',
      async (valid) => ({ experimentId: valid.id, userId: 'u', variantId: 'var_other' }),
      '/exposures/1/variantId',
      `var_other is not a variant of experiment`,
    ],
    [
      'a timestamp more than 5 minutes ahead',
      async (valid) => ({ experimentId: valid.id, userId: 'u', variantId: valid.variants[0]!.id, timestamp: new Date(Date.now() + 6 * 60_000).toISOString() }),
      '/exposures/1/timestamp',
      'timestamp is more than 5 minutes in the future',
    ],
    [
      'a timestamp that names no instant',
      async (valid) => ({ experimentId: valid.id, userId: 'u', variantId: valid.variants[0]!.id, timestamp: '2025-02-30T00:00:00Z' }),
      '/exposures/1/timestamp',
      'timestamp must be an ISO-8601 date-time',
    ],
  ]
  it.each(refusals)('refuses the whole batch for %s, naming index and path, and records nothing', async (_case, second, path, message) => {
    const valid = await running()
    const answer = await expose([{ experimentId: valid.id, userId: 'valid', variantId: valid.variants[0]!.id }, await second(valid)])
    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe('VALIDATION_FAILED')
    expect(answer.body.error.details).toEqual([{ index: 1, path, message: expect.stringContaining(message) }])
    expect(await recorded(valid.id)).toEqual({ sticky: {}, counts: {}, streamed: 0, mismatches: [] })
  })

  it('lists every problem of a batch', async () => {
    const config = await running()
    const answer = await expose([
      { experimentId: 'exp_nope', userId: 'u', variantId: 'v', timestamp: 'yesterday' },
      { experimentId: config.id, userId: 'u', variantId: config.variants[1]!.id },
      { experimentId: config.id, userId: 'u', variantId: 'var_other' },
    ])
    expect(answer.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      '/exposures/0/experimentId',
      '/exposures/0/timestamp',
      '/exposures/2/variantId',
    ])
  })

  const config = aConfig(tenant)
  const item = { experimentId: config.id, userId: 'u', variantId: config.variants[0]!.id }
  it.each([
    ['no exposures', { exposures: [] }, '/exposures'],
    ['1001 exposures', { exposures: Array.from({ length: 1001 }, () => item) }, '/exposures'],
    ['no body', undefined, '/'],
    ['an experimentId of 129 characters', { exposures: [{ ...item, experimentId: 'e'.repeat(129) }] }, '/exposures/0/experimentId'],
    ['a userId of 257 characters', { exposures: [{ ...item, userId: 'u'.repeat(257) }] }, '/exposures/0/userId'],
    ['a variantId of 129 characters', { exposures: [{ ...item, variantId: 'v'.repeat(129) }] }, '/exposures/0/variantId'],
    ['an empty userId', { exposures: [{ ...item, userId: '' }] }, '/exposures/0/userId'],
    ['a missing variantId', { exposures: [{ experimentId: item.experimentId, userId: 'u' }] }, '/exposures/0/variantId'],
    ['a numeric timestamp', { exposures: [{ ...item, timestamp: 1_700_000_000_000 }] }, '/exposures/0/timestamp'],
    ['a timestamp of 41 characters', { exposures: [{ ...item, timestamp: `2025-02-01T00:00:00.${'0'.repeat(20)}Z` }] }, '/exposures/0/timestamp'],
    ['an unknown field', { exposures: [{ ...item, reason: 'x' }] }, '/exposures/0/reason'],
    ['exposures that are not an array', { exposures: item }, '/exposures'],
  ])('answers 400 for %s', async (_case, payload, path) => {
    await publish(svc.redis, config)
    const answer = await postBody(payload)
    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe('VALIDATION_FAILED')
    expect(answer.body.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect(await svc.redis.exists(redisKeys.assignments(config.id))).toBe(0)
  })

  it('takes 1000 exposures of maximum-length ids, beyond the 64 KiB of assignment requests', async () => {
    const long = aConfig(tenant)
    const id = `exp_${'x'.repeat(124)}_${long.id}`.slice(-128)
    const variants = long.variants.map((v, i) => ({ ...v, id: `${String(i).repeat(100)}${id}`.slice(0, 128) }))
    await publish(svc.redis, { ...long, id, seed: id, variants })
    const users = Array.from({ length: 1000 }, (_, i) => `${i}`.padEnd(256, 'ü'))
    const answer = await expose(
      users.map((userId, i) => ({ experimentId: id, userId, variantId: variants[i % 2]!.id, timestamp: '2026-01-01T00:00:00.000000000000+00:00' })),
    )
    expect(answer.status).toBe(202)
    expect(answer.body).toEqual(tally({ assigned: 1000 }, 1000))
    expect(await svc.redis.hlen(redisKeys.assignments(id))).toBe(1000)
  })

  it('answers 413 in the envelope for a body over 1 MiB, and records nothing', async () => {
    const config = await running()
    const exposures = Array.from({ length: 1000 }, (_, i) => ({ experimentId: config.id, userId: `${i}`.padEnd(1100, 'u'), variantId: config.variants[0]!.id }))
    const answer = await expose(exposures)
    expect(answer.status).toBe(413)
    expect(answer.body.error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(answer.body.requestId).toEqual(expect.any(String))
    expect(await svc.redis.exists(redisKeys.assignments(config.id))).toBe(0)
  })

  it('answers 503 with retry-after while Redis is being restored (the status key is gone)', async () => {
    const config = await running()
    await svc.redis.del(redisKeys.status(config.id))
    const answer = await expose([{ experimentId: config.id, userId: 'u', variantId: config.variants[0]!.id }])
    expect(answer.status).toBe(503)
    expect(answer.body.error.code).toBe('SERVICE_UNAVAILABLE')
    expect(answer.headers['retry-after']).toBe('2')
  })

  it('requires the assignments:write scope', async () => {
    const config = await running()
    const exposures = [{ experimentId: config.id, userId: 'u', variantId: config.variants[0]!.id }]
    expect((await expose(exposures, bearer(tenant, 'events:write'))).status).toBe(403)
    expect((await svc.app.inject({ method: 'POST', url: '/api/exposures', payload: { exposures } })).statusCode).toBe(401)
    expect(await svc.redis.exists(redisKeys.assignments(config.id))).toBe(0)
  })
})
