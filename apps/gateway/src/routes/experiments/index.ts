import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LIFECYCLE_ACTIONS, TRANSITIONS } from '@experiments/contracts'
import { absentBodyAsEmpty, bodilessInDocs } from '@experiments/http'
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
import type { ExperimentService } from '../../domain/experiment-service.js'

const errors = errorResponses(400, 401, 403, 404, 409)
const tags = ['experiments']

/** /api/experiments: CRUD and the lifecycle. */
export const experimentRoutes: FastifyPluginAsyncTypebox<{ experiments: ExperimentService }> = async (app, { experiments }) => {
  const read = app.requireScope('experiments:read')
  const write = app.requireScope('experiments:write')

  app.get(
    '/',
    {
      onRequest: read,
      schema: {
        summary: 'List experiments, newest first (archived ones only with status=archived)',
        tags,
        querystring: ListExperimentsQuery,
        response: { 200: Page(ExperimentSummary), ...errors },
      },
    },
    async (request) => experiments.list(request.user.tenantId, request.query),
  )

  app.post(
    '/',
    {
      onRequest: write,
      schema: { summary: 'Create an experiment (a draft)', tags, body: CreateExperimentBody, response: { 201: Data(ExperimentView), ...errors } },
    },
    async (request, reply) => reply.code(201).send({ data: await experiments.create(request.user.tenantId, request.body) }),
  )

  app.get(
    '/:id',
    {
      onRequest: read,
      schema: { summary: 'Get an experiment with its variant configs', tags, params: IdParams, response: { 200: Data(ExperimentView), ...errors } },
    },
    async (request) => ({ data: await experiments.get(request.user.tenantId, request.params.id) }),
  )

  app.patch(
    '/:id',
    {
      onRequest: write,
      schema: { summary: 'Change a draft experiment', tags, params: IdParams, body: UpdateExperimentBody, response: { 200: Data(ExperimentView), ...errors } },
    },
    async (request) => ({ data: await experiments.update(request.user.tenantId, request.params.id, request.body) }),
  )

  app.delete(
    '/:id',
    {
      onRequest: write,
      schema: {
        summary: 'Archive an experiment (withdrawn from assignment, kept in the database)',
        tags,
        params: IdParams,
        response: { 200: Data(ExperimentView), ...errors },
      },
    },
    async (request) => ({ data: await experiments.archive(request.user.tenantId, request.params.id) }),
  )

  for (const action of LIFECYCLE_ACTIONS) {
    app.post(
      `/:id/${action}`,
      {
        onRequest: write,
        // No body means no options; a body with fields is a client's mistake worth saying so.
        preValidation: absentBodyAsEmpty,
        config: bodilessInDocs,
        schema: {
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} an experiment: ${TRANSITIONS[action].from.join(' or ')} → ${TRANSITIONS[action].to}`,
          tags,
          params: IdParams,
          body: EmptyBody,
          response: { 200: Data(ExperimentView), ...errors },
        },
      },
      async (request) => ({ data: await experiments.transition(request.user.tenantId, request.params.id, action) }),
    )
  }
}
