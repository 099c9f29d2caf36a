import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { withTimeout } from './timeout.js'

/** A dependency the service needs to serve traffic, checked by GET /ready. */
export type ReadinessCheck = { name: string; check: () => Promise<unknown> }

const CHECK_TIMEOUT_MS = 2000

const HealthView = Type.Object({ status: Type.Literal('ok') })
const ReadyView = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.String()),
})

/** GET /health (the process is alive) and GET /ready (its dependencies answer), both without auth (`security: []` in OpenAPI). */
export const healthRoutes = async (app: FastifyInstance, { checks }: { checks: ReadinessCheck[] }) => {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: the process answers (no token)', tags: ['health'], security: [], response: { 200: HealthView } } },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: every dependency answers within 2 s, else 503 (no token)',
        tags: ['health'],
        security: [],
        response: { 200: ReadyView, 503: ReadyView },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS)
            return [name, 'ok'] as const
          } catch (error) {
            return [name, (error as Error).message] as const
          }
        }),
      )
      const ready = results.every(([, result]) => result === 'ok')
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) })
    },
  )
}
