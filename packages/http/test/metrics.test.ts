import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelope } from '../../../test-support/calls.js'
import { metricNames, PROCESS_METRICS, sampleValue } from '../../../test-support/metrics.js'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { createHttpApp, scrapedGauge, type HttpApp } from '../src/index.js'
import { minimalService } from './service.js'

// GET /metrics as createHttpApp gives it to every service, on the minimal service.
const tenant = aTenant()
const TOKEN = 'metrics-token-0123456789'
let open: HttpApp
let guarded: HttpApp

beforeAll(async () => {
  open = (await minimalService()).app
  guarded = await createHttpApp({ title: 'test', version: '0', bodyLimit: 1024, logLevel: 'silent', metrics: { token: TOKEN } })
})
afterAll(async () => {
  await open?.close()
  await guarded?.close()
})

const scrape = async (app: HttpApp, headers: Record<string, string> = {}) => {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers })
  expect(response.statusCode).toBe(200)
  return response.body
}
const durations = (text: string, labels: Record<string, string>) => sampleValue(text, 'http_request_duration_seconds_count', labels)

describe('GET /metrics', () => {
  it("answers Prometheus's text format with the process and Node.js metrics and the request histogram", async () => {
    const response = await open.inject({ method: 'GET', url: '/metrics' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(metricNames(response.body)).toEqual(expect.arrayContaining([...PROCESS_METRICS, 'http_request_duration_seconds']))
    expect(response.body).toContain('# TYPE http_request_duration_seconds histogram')
  })

  it('times requests by route pattern, method and status code, never by URL', async () => {
    const before = await scrape(open)
    for (const id of ['exp_metrics_1', 'exp_metrics_2']) {
      expect((await open.inject({ method: 'GET', url: `/api/experiments/${id}`, headers: bearer(tenant) })).statusCode).toBe(200)
    }
    expect((await open.inject({ method: 'GET', url: '/api/experiments/exp_metrics_3' })).statusCode).toBe(401)
    expect((await open.inject({ method: 'POST', url: '/api/experiments', headers: bearer(tenant), payload: { name: '' } })).statusCode).toBe(400)
    const after = await scrape(open)
    const route = '/api/experiments/:id'
    const delta = (labels: Record<string, string>) => (durations(after, labels) ?? 0) - (durations(before, labels) ?? 0)
    expect(delta({ method: 'GET', route, status_code: '200' })).toBe(2)
    expect(delta({ method: 'GET', route, status_code: '401' })).toBe(1)
    expect(delta({ method: 'POST', route: '/api/experiments', status_code: '400' })).toBe(1)
    expect(after).not.toContain('exp_metrics_')
    expect(sampleValue(after, 'http_request_duration_seconds_sum', { route, status_code: '200' })).toBeGreaterThan(0)
    expect(sampleValue(after, 'http_request_duration_seconds_bucket', { route, status_code: '200', le: '+Inf' })).toBe(
      durations(after, { route, status_code: '200' }),
    )
  })

  it('labels requests no route matched `unmatched`, whatever their URL', async () => {
    const before = durations(await scrape(open), { route: 'unmatched', status_code: '404' }) ?? 0
    await open.inject({ method: 'GET', url: '/api/nope-1' })
    await open.inject({ method: 'GET', url: '/api/nope-2?x=1' })
    const after = await scrape(open)
    expect(durations(after, { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(before + 2)
    expect(after).not.toContain('nope-')
  })

  it('leaves its own scrapes out of the histogram', async () => {
    await scrape(open)
    expect(durations(await scrape(open), { route: '/metrics' })).toBeUndefined()
  })

  it('keeps the metrics of two apps in one process apart', async () => {
    const other = (await minimalService()).app
    try {
      await other.inject({ method: 'GET', url: '/api/experiments/exp_other', headers: bearer(tenant) })
      const text = await scrape(other)
      expect(durations(text, { route: '/api/experiments/:id', status_code: '200' })).toBe(1)
      expect(metricNames(text)).toEqual(expect.arrayContaining(PROCESS_METRICS))
    } finally {
      await other.close()
    }
  })

  it('is not an operation of the OpenAPI document', async () => {
    const docs = (await open.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(Object.keys(docs.paths)).not.toContain('/metrics')
  })
})

describe('GET /metrics with METRICS_TOKEN set', () => {
  it.each([
    ['no Authorization header', {}],
    ['another token', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token without the Bearer scheme', { authorization: TOKEN }],
    ["an API token (the API's JWT)", bearer(tenant)],
  ])('answers %s with 401 UNAUTHORIZED in the envelope', async (_case, headers) => {
    const response = await guarded.inject({ method: 'GET', url: '/metrics', headers })
    const body = expectEnvelope(response, 401, 'UNAUTHORIZED')
    expect(body.error.message).toMatch(/METRICS_TOKEN/)
    expect(response.body).not.toContain('process_cpu')
  })

  it('answers the bearer of the token', async () => {
    expect(metricNames(await scrape(guarded, { authorization: `Bearer ${TOKEN}` }))).toEqual(expect.arrayContaining(PROCESS_METRICS))
    expect(metricNames(await scrape(guarded, { authorization: `bearer ${TOKEN}` }))).toEqual(expect.arrayContaining(PROCESS_METRICS))
  })

  it('guards /metrics only', async () => {
    expect((await guarded.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404)
  })
})

describe('a gauge read on scrape', () => {
  it('holds what the last read found, replacing the series of the read before', async () => {
    const app = await createHttpApp({ title: 'test', version: '0', bodyLimit: 1024, logLevel: 'silent' })
    try {
      let readings = [
        { labels: { queue: 'a' }, value: 3 },
        { labels: { queue: 'b' }, value: 4 },
      ]
      scrapedGauge({ registry: app.metrics, name: 'test_depth', help: 'test', labelNames: ['queue'], read: async () => readings, log: app.log })
      const first = await scrape(app)
      expect([sampleValue(first, 'test_depth', { queue: 'a' }), sampleValue(first, 'test_depth', { queue: 'b' })]).toEqual([3, 4])
      readings = [{ labels: { queue: 'b' }, value: 1 }]
      const second = await scrape(app)
      expect([sampleValue(second, 'test_depth', { queue: 'a' }), sampleValue(second, 'test_depth', { queue: 'b' })]).toEqual([undefined, 1])
    } finally {
      await app.close()
    }
  })

  it('has no value after a failed read (NaN without labels, no series with them), logged, and the scrape still answers', async () => {
    const lines: { msg: string; metric?: string }[] = []
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const app = await createHttpApp({ title: 'test', version: '0', bodyLimit: 1024, logLevel: 'silent' })
    try {
      let failing = false
      const read = async () => {
        if (failing) throw new Error('Connection is closed.')
        return [{ labels: {}, value: 7 }]
      }
      scrapedGauge({ registry: app.metrics, name: 'test_backlog', help: 'test', read, log })
      scrapedGauge({
        registry: app.metrics,
        name: 'test_jobs',
        help: 'test',
        labelNames: ['state'],
        read: async () => (await read()).map(({ value }) => ({ labels: { state: 'waiting' }, value })),
        log,
      })
      const healthy = await scrape(app)
      expect([sampleValue(healthy, 'test_backlog'), sampleValue(healthy, 'test_jobs', { state: 'waiting' })]).toEqual([7, 7])
      failing = true
      const failed = await scrape(app)
      expect(sampleValue(failed, 'test_backlog')).toBeNaN()
      expect(sampleValue(failed, 'test_jobs')).toBeUndefined()
      expect(metricNames(failed)).toEqual(expect.arrayContaining(PROCESS_METRICS))
      expect(lines.map((l) => l.metric).sort()).toEqual(['test_backlog', 'test_jobs'])
    } finally {
      await app.close()
    }
  })
})
