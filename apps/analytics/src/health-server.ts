import { createHttpApp, healthRoutes, type ReadinessCheck } from '@experiments/http'

/** The worker's only HTTP surface: /health and /ready for the orchestrator's probes. */
export const buildHealthServer = async ({ checks, logLevel }: { checks: ReadinessCheck[]; logLevel?: string }) => {
  const app = await createHttpApp({
    title: 'Analytics worker',
    version: '1.0.0',
    bodyLimit: 1024,
    ...(logLevel ? { logLevel } : {}),
  })
  await app.register(healthRoutes, { checks })
  return app
}
