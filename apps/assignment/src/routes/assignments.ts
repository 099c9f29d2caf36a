import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AssignBody, AssignManyBody, AssignmentView, Data, errorResponses, IdParams } from '@experiments/schemas'
import { Type } from 'typebox'
import type { Assigner } from '../assigner.js'

const errors = errorResponses(400, 401, 403, 404, 503)
const tags = ['assignments']

/** POST /api/experiments/:id/assignments and POST /api/assignments (scope assignments:write). */
export const assignmentRoutes: FastifyPluginAsyncTypebox<{ assigner: Assigner }> = async (app, { assigner }) => {
  const assign = app.requireScope('assignments:write')

  app.post(
    '/experiments/:id/assignments',
    {
      onRequest: assign,
      schema: {
        summary: 'Which variant a user sees in one experiment (sticky)',
        tags,
        params: IdParams,
        body: AssignBody,
        response: { 200: Data(AssignmentView), ...errors },
      },
    },
    async (request) => ({
      data: await assigner.assignOne(request.user.tenantId, request.params.id, request.body.userId, request.body.attributes),
    }),
  )

  app.post(
    '/assignments',
    {
      onRequest: assign,
      schema: {
        summary: 'Which variant a user sees in each listed, or each running and stopped, experiment',
        tags,
        body: AssignManyBody,
        response: { 200: Data(Type.Array(AssignmentView)), ...errors },
      },
    },
    async (request) => ({
      data: await assigner.assignMany(request.user.tenantId, request.body.userId, request.body.attributes, request.body.experimentIds),
    }),
  )
}
