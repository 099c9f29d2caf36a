import { describe, expect, it } from 'vitest'
import { metricNames, PROCESS_METRICS, sampleValue } from '../../../test-support/metrics.js'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { aConfig, publish, settle, useAssignmentService } from './helpers.js'

// The assignment service's GET /metrics; its counters are this replica's own.
const svc = useAssignmentService()
const tenant = aTenant()
const headers = bearer(tenant, 'assignments:write')

const scrape = async () => {
  const response = await svc.app.inject({ method: 'GET', url: '/metrics' })
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
  return response.body
}
const assign = async (experimentId: string, userId: string, attributes?: object) => {
  const response = await svc.app.inject({ method: 'POST', url: `/api/experiments/${experimentId}/assignments`, headers, payload: { userId, attributes } })
  return { status: response.statusCode, reason: response.statusCode === 200 ? (response.json().data.reason as string) : undefined }
}
const published = async (overrides: Parameters<typeof aConfig>[1] = {}) => {
  const config = aConfig(tenant, overrides)
  await publish(svc.redis, config)
  await settle()
  return config
}
const REASONS = ['assigned', 'existing', 'audience_mismatch', 'enrollment_closed', 'not_running']
const reasons = (text: string) => Object.fromEntries(REASONS.map((reason) => [reason, sampleValue(text, 'experiments_assignments_total', { reason })]))

describe('GET /metrics on the assignment service', () => {
  it('lists the process metrics and those of the service, every reason from 0', async () => {
    const text = await scrape()
    expect(metricNames(text)).toEqual(
      expect.arrayContaining([...PROCESS_METRICS, 'http_request_duration_seconds', 'experiments_assignments_total', 'experiments_exposures_total']),
    )
    for (const value of Object.values(reasons(text))) expect(value).toBeGreaterThanOrEqual(0)
  })

  it('counts the answers by reason, one request or many', async () => {
    const running = await published()
    const adults = await published({ audience: { id: 'aud_adults', conditions: { age: { $gte: 18 } } } })
    const stopped = await published({ status: 'stopped' })
    const draft = await published({ status: 'draft' })
    const before = reasons(await scrape())

    expect((await assign(running.id, 'metrics-u1')).reason).toBe('assigned')
    expect((await assign(running.id, 'metrics-u1')).reason).toBe('existing')
    expect((await assign(adults.id, 'metrics-u1', { age: 12 })).reason).toBe('audience_mismatch')
    expect((await assign(stopped.id, 'metrics-u1')).reason).toBe('enrollment_closed')
    expect((await assign(draft.id, 'metrics-u1')).reason).toBe('not_running')
    const many = await svc.app.inject({
      method: 'POST',
      url: '/api/assignments',
      headers,
      payload: { userId: 'metrics-u2', experimentIds: [running.id, draft.id] },
    })
    expect(many.statusCode).toBe(200)

    const after = reasons(await scrape())
    const moved = Object.fromEntries(REASONS.map((reason) => [reason, after[reason]! - before[reason]!]))
    expect(moved).toEqual({ assigned: 2, existing: 1, audience_mismatch: 1, enrollment_closed: 1, not_running: 2 })
  })

  it('times assignments under the route pattern, never the experiment id', async () => {
    const config = await published()
    const count = (status: string) => (text: string) =>
      sampleValue(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/experiments/:id/assignments', status_code: status }) ?? 0
    const before = await scrape()
    await assign(config.id, 'timed-1')
    await assign(config.id, 'timed-2')
    expect((await assign('exp_not_there', 'timed-3')).status).toBe(404)
    const after = await scrape()
    expect(count('200')(after) - count('200')(before)).toBe(2)
    expect(count('404')(after) - count('404')(before)).toBe(1)
    expect(after).not.toContain(config.id)
    expect(after).not.toContain('exp_not_there')
  })

  it('counts exposures by outcome', async () => {
    const config = await published()
    const first = await svc.app.inject({ method: 'POST', url: `/api/experiments/${config.id}/assignments`, headers, payload: { userId: 'exposed-1' } })
    const recorded: string = first.json().data.variant.id
    const other = config.variants.find((v) => v.id !== recorded)!.id
    const outcomes = (text: string) =>
      Object.fromEntries(['assigned', 'existing', 'mismatch'].map((o) => [o, sampleValue(text, 'experiments_exposures_total', { outcome: o })]))
    const before = outcomes(await scrape())
    const exposures = [
      { experimentId: config.id, userId: 'exposed-2', variantId: other },
      { experimentId: config.id, userId: 'exposed-1', variantId: recorded },
      { experimentId: config.id, userId: 'exposed-1', variantId: other },
    ]
    expect((await svc.app.inject({ method: 'POST', url: '/api/exposures', headers, payload: { exposures } })).statusCode).toBe(202)
    const after = outcomes(await scrape())
    expect({
      assigned: after.assigned! - before.assigned!,
      existing: after.existing! - before.existing!,
      mismatch: after.mismatch! - before.mismatch!,
    }).toEqual({
      assigned: 1,
      existing: 1,
      mismatch: 1,
    })
  })
})
