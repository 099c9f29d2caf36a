import { createHttpApp, healthRoutes, type MetricsOptions, type ReadinessCheck } from '@experiments/http'

/** The worker's only HTTP surface: /health and /ready for the orchestrator's probes, /metrics for Prometheus. */
export const buildHealthServer = async ({ checks, logLevel, metrics }: { checks: ReadinessCheck[]; logLevel?: string; metrics?: MetricsOptions }) => {
  const app = await createHttpApp({
    title: 'Analytics worker',
    version: '1.0.0',
    bodyLimit: 1024,
    ...(logLevel ? { logLevel } : {}),
    ...(metrics ? { metrics } : {}),
  })
  await app.register(healthRoutes, { checks })
  return app
}
