import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyRequest } from 'fastify'
import { AcceptedView, ConversionBatchBody, errorResponses, ExperimentConversionBatchBody, IdParams } from '@experiments/schemas'
import { batchValidator } from '../../ingestion/batch-validator.js'
import type { ConversionEventCounter } from '../../ingestion/ingestion-metrics.js'
import type { ConversionIntake } from '../../ingestion/intake.js'
import { withProblemsBeyondSchema } from '../../ingestion/refused-batch.js'
import { quickAcceptsConversionBatch } from '../../ingestion/quick-accept.js'

const errors = errorResponses(400, 401, 403, 404, 413, 429, 503)
const tags = ['conversions']
// Batches of up to 1000 events: plain code accepts the usual valid batch, the schema words the errors.
const conversionBatchValidator = batchValidator({ itemsKey: 'events', quickAccept: (body) => quickAcceptsConversionBatch(body, true) })
const experimentBatchValidator = batchValidator({ itemsKey: 'events', quickAccept: (body) => quickAcceptsConversionBatch(body, false) })

/** Conversion ingestion (scope events:write): validate, enqueue one job per batch, answer 202. */
export const conversionRoutes: FastifyPluginAsyncTypebox<{ intake: ConversionIntake; counter: ConversionEventCounter }> = async (app, { intake, counter }) => {
  const send = app.requireScope('events:write')
  // Once answered, so that batches the error handler refused count too.
  app.addHook('onResponse', (request, reply, done) => {
    counter.count(request.body, reply.statusCode)
    done()
  })
  /**
   * The routes take their validation errors (attachValidation) to add what only the intake sees to
   * a refused batch's problems: one 400 lists all of them.
   */
  const refused = async (request: FastifyRequest, options: { experimentIds: boolean }) => {
    const error = request.validationError as FastifyError
    if (error.validationContext !== 'body') return error
    return withProblemsBeyondSchema(error, await intake.problemsBeyondSchema(request.user.tenantId, request.body, options))
  }

  app.post(
    '/conversions',
    {
      onRequest: send,
      validatorCompiler: conversionBatchValidator,
      attachValidation: true,
      schema: {
        summary: 'Send 1–1000 conversion events (each eventId counted once)',
        tags,
        body: ConversionBatchBody,
        response: { 202: AcceptedView, ...errors },
      },
    },
    async (request, reply) => {
      if (request.validationError) throw await refused(request, { experimentIds: true })
      return reply.code(202).send({ data: { accepted: await intake.accept(request.user.tenantId, request.body.events) } })
    },
  )

  app.post(
    '/experiments/:id/conversions',
    {
      onRequest: send,
      validatorCompiler: experimentBatchValidator,
      attachValidation: true,
      schema: {
        summary: 'Send 1–1000 conversion events of one experiment (taken from the path)',
        tags,
        params: IdParams,
        body: ExperimentConversionBatchBody,
        response: { 202: AcceptedView, ...errors },
      },
    },
    async (request, reply) => {
      // Events carry no experimentId here; whether the path's exists is the route's 404, once the batch is valid.
      if (request.validationError) throw await refused(request, { experimentIds: false })
      return reply.code(202).send({ data: { accepted: await intake.acceptForExperiment(request.user.tenantId, request.params.id, request.body.events) } })
    },
  )
}
