import fp from 'fastify-plugin'
import { Registry } from 'prom-client'
import { requireMetricsToken } from './metrics-token.js'
import { registerProcessMetrics } from './process-metrics.js'
import { measureRequestDurations } from './request-durations.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus registry, served by GET /metrics: services register their own metrics on it. */
    metrics: Registry
  }
}

export type MetricsOptions = {
  /** METRICS_TOKEN: when set, GET /metrics answers only a bearer of it (401 otherwise). */
  token?: string | undefined
  /** false leaves requests untimed; bench/metrics-cost.ts measures what timing them costs. Default true. */
  requestDurations?: boolean
}

const METRICS_PATH = '/metrics'

/**
 * GET /metrics in Prometheus's text format, from a registry of the app's own (app.metrics): apps
 * built in one process (tests) keep their metrics apart. Without a token anyone who reaches the
 * port reads it, as /health. Left out of the OpenAPI document: it is for the operators'
 * Prometheus, not the API's clients, and its token is not the API's JWT.
 */
export const metricsEndpoint = fp<MetricsOptions>(async (app, { token, requestDurations = true }) => {
  const registry = new Registry()
  registerProcessMetrics(registry)
  app.decorate('metrics', registry)
  if (requestDurations) measureRequestDurations(app, registry, METRICS_PATH)
  app.get(METRICS_PATH, { ...(token ? { onRequest: requireMetricsToken(token) } : {}), schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  )
})
