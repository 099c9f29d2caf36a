import { redisKeys } from '@experiments/contracts'
import { describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { aConfig, publish, settle, useAssignmentService } from './helpers.js'

const svc = useAssignmentService()
const tenant = aTenant()

const assign = async (experimentId: string, body: object, headers = bearer(tenant, 'assignments:write')) => {
  const response = await svc.app.inject({ method: 'POST', url: `/api/experiments/${experimentId}/assignments`, headers, payload: body })
  return { status: response.statusCode, body: response.json() }
}

describe('POST /api/experiments/:id/assignments', () => {
  it('assigns a new user, then answers existing with the same variant', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    const first = await assign(config.id, { userId: 'u-1' })
    expect(first.status).toBe(200)
    expect(first.body.data).toMatchObject({ experimentId: config.id, userId: 'u-1', reason: 'assigned' })
    const variant = first.body.data.variant
    expect(config.variants.map((v) => v.id)).toContain(variant.id)
    const source = config.variants.find((v) => v.id === variant.id)!
    expect(variant).toEqual({ id: source.id, name: source.name, flowId: source.flowId, config: source.config })

    const again = await assign(config.id, { userId: 'u-1' })
    expect(again.body.data).toEqual({ ...first.body.data, reason: 'existing' })
    // The sticky map holds the variant's position, not its id: a fifth of the memory per user.
    expect(await svc.redis.hget(redisKeys.assignments(config.id), 'u-1')).toBe(String(config.variants.findIndex((v) => v.id === variant.id)))
    expect(await svc.redis.hget(redisKeys.counts(config.id), variant.id)).toBe('1')
    expect(await svc.redis.xlen(redisKeys.assignmentStream(config.id))).toBe(1)
  })

  it('a recorded assignment wins over the hash', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    const { body } = await assign(config.id, { userId: 'sticky' })
    const other = config.variants.find((v) => v.id !== body.data.variant.id)!
    await svc.redis.hset(redisKeys.assignments(config.id), 'sticky', String(config.variants.indexOf(other)))
    const again = await assign(config.id, { userId: 'sticky' })
    expect(again.body.data).toMatchObject({ reason: 'existing', variant: { id: other.id } })
  })

  it('answers enrollment_closed for new users of a stopped experiment, existing users keep their variant', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    const before = await assign(config.id, { userId: 'early' })
    await publish(svc.redis, { ...config, status: 'stopped', version: config.version + 1 })
    await settle()
    expect((await assign(config.id, { userId: 'early' })).body.data).toEqual({ ...before.body.data, reason: 'existing' })
    expect((await assign(config.id, { userId: 'late' })).body.data).toEqual({
      experimentId: config.id,
      userId: 'late',
      variant: null,
      reason: 'enrollment_closed',
    })
    expect(await svc.redis.hexists(redisKeys.assignments(config.id), 'late')).toBe(0)
  })

  it('enforces a stop at once even when this replica still caches the experiment as running', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    await assign(config.id, { userId: 'warm-up' })
    // Only the status key changes, as if the pub/sub announcement had not arrived yet.
    await svc.redis.set(redisKeys.status(config.id), 'stopped')
    const { body } = await assign(config.id, { userId: 'newcomer' })
    expect(body.data.reason).toBe('enrollment_closed')
    expect(await svc.redis.hlen(redisKeys.assignments(config.id))).toBe(1)
  })

  it('enrolls in an experiment started a moment ago, before this replica heard the announcement', async () => {
    const draft = aConfig(tenant, { status: 'draft' })
    await publish(svc.redis, draft)
    await settle()
    expect((await assign(draft.id, { userId: 'first' })).body.data.reason).toBe('not_running')
    // What the gateway's start writes, without the pub/sub announcement this replica has not processed yet.
    await svc.redis.hset(redisKeys.configs, draft.id, JSON.stringify({ ...draft, status: 'running', version: draft.version + 1 }))
    await svc.redis.set(redisKeys.status(draft.id), 'running')
    expect((await assign(draft.id, { userId: 'first' })).body.data.reason).toBe('assigned')
  })

  it.each(['draft', 'completed', 'archived'] as const)('answers not_running while the experiment is %s', async (status) => {
    const config = aConfig(tenant, { status })
    await publish(svc.redis, config)
    const { status: code, body } = await assign(config.id, { userId: 'u' })
    expect(code).toBe(200)
    expect(body.data).toEqual({ experimentId: config.id, userId: 'u', variant: null, reason: 'not_running' })
    expect(await svc.redis.exists(redisKeys.assignments(config.id))).toBe(0)
  })

  it('checks the audience: a match is assigned, a mismatch is not recorded', async () => {
    const config = aConfig(tenant, { audience: { id: 'aud_1', conditions: { country: { $in: ['DE', 'AT'] }, age: { $gte: 18 } } } })
    await publish(svc.redis, config)
    const match = await assign(config.id, { userId: 'adult', attributes: { country: 'DE', age: 30 } })
    expect(match.body.data.reason).toBe('assigned')
    const mismatch = await assign(config.id, { userId: 'minor', attributes: { country: 'DE', age: 15 } })
    expect(mismatch.body.data).toEqual({ experimentId: config.id, userId: 'minor', variant: null, reason: 'audience_mismatch' })
    const none = await assign(config.id, { userId: 'anon' })
    expect(none.body.data.reason).toBe('audience_mismatch')
    expect(await svc.redis.hlen(redisKeys.assignments(config.id))).toBe(1)
  })

  it('picks up a config published after the replica started (pub/sub)', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, { ...config, status: 'draft' })
    expect((await assign(config.id, { userId: 'x' })).body.data.reason).toBe('not_running')
    await publish(svc.redis, { ...config, version: config.version + 1 })
    await settle()
    expect((await assign(config.id, { userId: 'x' })).body.data.reason).toBe('assigned')
  })

  it("returns 404 for an unknown experiment and for another tenant's", async () => {
    const unknown = await assign('exp_nope', { userId: 'u' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('EXPERIMENT_NOT_FOUND')
    const theirs = aConfig(aTenant())
    await publish(svc.redis, theirs)
    expect((await assign(theirs.id, { userId: 'u' })).status).toBe(404)
    expect(await svc.redis.exists(redisKeys.assignments(theirs.id))).toBe(0)
  })

  it('requires the assignments:write scope', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    expect((await assign(config.id, { userId: 'u' }, bearer(tenant, 'experiments:read experiments:write events:write'))).status).toBe(403)
    const noToken = await svc.app.inject({ method: 'POST', url: `/api/experiments/${config.id}/assignments`, payload: { userId: 'u' } })
    expect(noToken.statusCode).toBe(401)
  })

  it.each([
    ['a missing userId', {}, '/userId'],
    ['an empty userId', { userId: '' }, '/userId'],
    ['a userId of 257 characters', { userId: 'u'.repeat(257) }, '/userId'],
    ['a numeric userId', { userId: 42 }, '/userId'],
    ['a userId with an unpaired surrogate (stored as U+FFFD, users would collide)', { userId: 'u\ud800' }, '/userId'],
    ['attributes that are an array', { userId: 'u', attributes: ['a'] }, '/attributes'],
    ['attributes that are a string', { userId: 'u', attributes: 'x' }, '/attributes'],
    ['an unknown field', { userId: 'u', variant: 'b' }, '/variant'],
  ])('returns 400 for %s and records nothing', async (_case, body, path) => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    const { status, body: response } = await assign(config.id, body)
    expect(status).toBe(400)
    expect(response.error.code).toBe('VALIDATION_FAILED')
    expect(response.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect(await svc.redis.exists(redisKeys.assignments(config.id))).toBe(0)
  })

  it('accepts a userId of exactly 256 characters, non-ASCII included', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    expect((await assign(config.id, { userId: 'ü'.repeat(256) })).body.data.reason).toBe('assigned')
    expect((await assign(config.id, { userId: '🎉 user' })).body.data.reason).toBe('assigned')
  })

  it('returns 413 for a body over 64 KiB', async () => {
    const config = aConfig(tenant)
    await publish(svc.redis, config)
    const { status, body } = await assign(config.id, { userId: 'u', attributes: { blob: 'x'.repeat(70_000) } })
    expect(status).toBe(413)
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE')
  })
})
