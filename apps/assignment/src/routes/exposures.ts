import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ValidationFailed } from '@experiments/contracts'
import { Data, errorResponses, EXPOSURE_BATCH_BODY_LIMIT_BYTES, ExposureBatchBody, ExposureTally, MAX_EVENTS_PER_BATCH } from '@experiments/schemas'
import type { FastifyRequest } from 'fastify'
import type { ExposureRecorder } from '../exposures.js'

const errors = errorResponses(400, 401, 403, 413, 503)

/**
 * Refuses a batch of too many exposures before the schema sees it: Ajv checks every item, past
 * maxItems too, and a 1 MiB body of small invalid items would hold this service's one thread for
 * seconds.
 */
const refuseOverlongBatch = async (request: FastifyRequest) => {
  const exposures = (request.body as { exposures?: unknown } | null | undefined)?.exposures
  if (Array.isArray(exposures) && exposures.length > MAX_EVENTS_PER_BATCH) {
    const message = `exposures must NOT have more than ${MAX_EVENTS_PER_BATCH} items`
    throw new ValidationFailed(message, [{ path: '/exposures', message }])
  }
}

/** POST /api/exposures (scope assignments:write): what SDKs evaluated in process, recorded as assignments. */
export const exposureRoutes: FastifyPluginAsyncTypebox<{ recorder: ExposureRecorder }> = async (app, { recorder }) => {
  app.post(
    '/exposures',
    {
      onRequest: app.requireScope('assignments:write'),
      // A batch needs more than the service's limit for assignment requests.
      bodyLimit: EXPOSURE_BATCH_BODY_LIMIT_BYTES,
      preValidation: refuseOverlongBatch,
      schema: {
        summary: 'Record 1–1000 exposures reported by SDKs as assignments (first write wins)',
        tags: ['exposures'],
        body: ExposureBatchBody,
        response: { 202: Data(ExposureTally), ...errors },
      },
    },
    async (request, reply) => reply.code(202).send({ data: await recorder.record(request.user.tenantId, request.body.exposures) }),
  )
}
