import type { FastifyInstance } from 'fastify'
import { Histogram, type Registry } from 'prom-client'

/** The route label of requests no route matched (404s): URLs must not become series. */
const UNMATCHED = 'unmatched'
/** From 0.5 ms: an assignment is answered in about a millisecond. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * http_request_duration_seconds{method, route, status_code}: each request's time from its arrival
 * to its answer, by the route's pattern (`/api/experiments/:id`), never its URL. Requests to
 * `skippedRoute` (GET /metrics: the scrapes) are left out.
 */
export const measureRequestDurations = (app: FastifyInstance, registry: Registry, skippedRoute: string) => {
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [registry],
  })
  // Callback style, as create-app.ts's hooks: it runs on every request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED
    if (route !== skippedRoute) durations.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000)
    done()
  })
}
