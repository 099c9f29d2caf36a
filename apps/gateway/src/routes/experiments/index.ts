import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { absentBodyAsEmpty } from '@experiments/http'
import {
  CreateExperimentBody,
  Data,
  EmptyBody,
  errorResponses,
  ExperimentSummary,
  ExperimentView,
  IdParams,
  ListExperimentsQuery,
  Page,
  UpdateExperimentBody,
} from '@experiments/schemas'
import type { ExperimentService, LifecycleAction } from '../../domain/experiment-service.js'

const errors = errorResponses(400, 401, 403, 404, 409)
const tags = ['experiments']

/** /api/experiments: CRUD and the lifecycle. */
export const experimentRoutes: FastifyPluginAsyncTypebox<{ experiments: ExperimentService }> = async (app, { experiments }) => {
  const read = app.requireScope('experiments:read')
  const write = app.requireScope('experiments:write')

  app.get(
    '/',
    { onRequest: read, schema: { tags, querystring: ListExperimentsQuery, response: { 200: Page(ExperimentSummary), ...errors } } },
    async (request) => experiments.list(request.user.tenantId, request.query),
  )

  app.post(
    '/',
    { onRequest: write, schema: { tags, body: CreateExperimentBody, response: { 201: Data(ExperimentView), ...errors } } },
    async (request, reply) => reply.code(201).send({ data: await experiments.create(request.user.tenantId, request.body) }),
  )

  app.get(
    '/:id',
    { onRequest: read, schema: { tags, params: IdParams, response: { 200: Data(ExperimentView), ...errors } } },
    async (request) => ({ data: await experiments.get(request.user.tenantId, request.params.id) }),
  )

  app.patch(
    '/:id',
    {
      onRequest: write,
      schema: { tags, params: IdParams, body: UpdateExperimentBody, response: { 200: Data(ExperimentView), ...errors } },
    },
    async (request) => ({ data: await experiments.update(request.user.tenantId, request.params.id, request.body) }),
  )

  app.delete(
    '/:id',
    { onRequest: write, schema: { tags, params: IdParams, response: { 200: Data(ExperimentView), ...errors } } },
    async (request) => ({ data: await experiments.archive(request.user.tenantId, request.params.id) }),
  )

  for (const action of ['start', 'stop', 'complete'] as const satisfies LifecycleAction[]) {
    app.post(
      `/:id/${action}`,
      {
        onRequest: write,
        // No body means no options; a body with fields is a client's mistake worth saying so.
        preValidation: absentBodyAsEmpty,
        schema: { tags, params: IdParams, body: EmptyBody, response: { 200: Data(ExperimentView), ...errors } },
      },
      async (request) => ({ data: await experiments.transition(request.user.tenantId, request.params.id, action) }),
    )
  }
}
