import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelope } from '../../../../test-support/calls.js'
import { events } from '../../../../test-support/conversions.js'
import { metricNames, PROCESS_METRICS, sampleValue } from '../../../../test-support/metrics.js'
import { aTenant } from '../../../../test-support/tokens.js'
import { buildApp } from '../../src/app.js'
import { call, createExperiment, useGateway } from '../helpers.js'

// The gateway's GET /metrics. Its counters are the app's own: other test files' requests do not
// move them. The backlog gauge reads the shared Redis, where other files' batches come and go:
// test/system/ingestion.test.ts checks it on a Redis of its own.
const gw = useGateway()
const tenant = aTenant()

const scrape = async () => {
  const response = await gw.app.inject({ method: 'GET', url: '/metrics' })
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
  return response.body
}
/** How far `read` moved over `act`. */
const change = async (act: () => Promise<unknown>, read: (text: string) => number | undefined) => {
  const before = read(await scrape()) ?? 0
  await act()
  return (read(await scrape()) ?? 0) - before
}
const conversionEvents = (outcome: string) => (text: string) => sampleValue(text, 'experiments_conversion_events_total', { outcome })

describe('GET /metrics on the gateway', () => {
  it('lists the process metrics and those of the gateway, without a token', async () => {
    const text = await scrape()
    expect(metricNames(text)).toEqual(
      expect.arrayContaining([...PROCESS_METRICS, 'http_request_duration_seconds', 'experiments_conversion_events_total', 'experiments_conversion_backlog']),
    )
    expect(conversionEvents('accepted')(text)).toBeGreaterThanOrEqual(0)
    expect(conversionEvents('rejected')(text)).toBeGreaterThanOrEqual(0)
    expect(sampleValue(text, 'experiments_conversion_backlog')).toBeGreaterThanOrEqual(0)
  })

  it('times the API by route pattern and status code', async () => {
    const experiment = await createExperiment(gw, tenant)
    const count = (status: string) => (text: string) =>
      sampleValue(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/experiments/:id', status_code: status })
    expect(await change(() => call(gw, 'GET', `/api/experiments/${experiment.id}`, tenant), count('200'))).toBe(1)
    expect(await change(() => call(gw, 'GET', '/api/experiments/exp_not_there', tenant), count('404'))).toBe(1)
    const text = await scrape()
    expect(text).not.toContain(experiment.id)
    expect(sampleValue(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/experiments', status_code: '201' })).toBeGreaterThanOrEqual(
      1,
    )
  })

  it('counts the events of accepted and of rejected batches', async () => {
    const experiment = await createExperiment(gw, tenant)
    const accept = () => call(gw, 'POST', '/api/conversions', tenant, { events: events(experiment.id, ['u1', 'u2', 'u3']) })
    expect(await change(accept, conversionEvents('accepted'))).toBe(3)

    const invalid = [...events(experiment.id, ['u4']), { eventId: 'e-bad', experimentId: experiment.id, userId: 'u5', value: 'ten' }]
    const refuse = async () => expect((await call(gw, 'POST', '/api/conversions', tenant, { events: invalid })).status).toBe(400)
    expect(await change(refuse, conversionEvents('rejected'))).toBe(2)
    const unknown = async () =>
      expect((await call(gw, 'POST', '/api/experiments/exp_not_there/conversions', tenant, { events: [{ eventId: 'e-1', userId: 'u6' }] })).status).toBe(404)
    expect(await change(unknown, conversionEvents('rejected'))).toBe(1)
    expect(await change(refuse, conversionEvents('accepted'))).toBe(0)
  })
})

describe('GET /metrics on a gateway with METRICS_TOKEN', () => {
  const token = 'gateway-metrics-token-42'
  let guarded: Awaited<ReturnType<typeof buildApp>>
  beforeAll(async () => {
    guarded = await buildApp({
      db: gw.db,
      redis: gw.redis,
      blockingRedis: gw.blockingRedis,
      auth: { jwtSecret: 'x'.repeat(32) },
      logLevel: 'silent',
      metrics: { token },
    })
  })
  afterAll(async () => guarded?.close())

  it('answers 401 without the token or with another, 200 with it', async () => {
    expectEnvelope(await guarded.inject({ method: 'GET', url: '/metrics' }), 401, 'UNAUTHORIZED')
    expectEnvelope(await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer gateway-metrics-token-43' } }), 401, 'UNAUTHORIZED')
    const response = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
    expect(response.statusCode).toBe(200)
    expect(metricNames(response.body)).toContain('experiments_conversion_backlog')
  })
})
