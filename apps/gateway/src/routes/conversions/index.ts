import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AcceptedView, ConversionBatchBody, errorResponses, ExperimentConversionBatchBody, IdParams } from '@experiments/schemas'
import type { ConversionIntake } from '../../domain/conversion-intake.js'

const errors = errorResponses(400, 401, 403, 404, 413, 429, 503)
const tags = ['conversions']

/** Conversion ingestion (scope events:write): validate, enqueue one job per batch, answer 202. */
export const conversionRoutes: FastifyPluginAsyncTypebox<{ intake: ConversionIntake }> = async (app, { intake }) => {
  const send = app.requireScope('events:write')

  app.post(
    '/conversions',
    { onRequest: send, schema: { tags, body: ConversionBatchBody, response: { 202: AcceptedView, ...errors } } },
    async (request, reply) =>
      reply.code(202).send({ data: { accepted: await intake.accept(request.user.tenantId, request.body.events) } }),
  )

  app.post(
    '/experiments/:id/conversions',
    { onRequest: send, schema: { tags, params: IdParams, body: ExperimentConversionBatchBody, response: { 202: AcceptedView, ...errors } } },
    async (request, reply) => {
      const experimentId = request.params.id
      const events = request.body.events.map((event) => ({ ...event, experimentId }))
      return reply.code(202).send({ data: { accepted: await intake.accept(request.user.tenantId, events) } })
    },
  )
}
