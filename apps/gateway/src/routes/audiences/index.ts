import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AudienceView, CreateAudienceBody, Data, errorResponses, IdParams, ListAudiencesQuery, Page, UpdateAudienceBody } from '@experiments/schemas'
import { Type } from 'typebox'
import type { AudienceService } from '../../domain/audience-service.js'

const errors = errorResponses(400, 401, 403, 404, 409)
const tags = ['audiences']

/** /api/audiences: targeting conditions, managed with the experiments:write scope. */
export const audienceRoutes: FastifyPluginAsyncTypebox<{ audiences: AudienceService }> = async (app, { audiences }) => {
  const read = app.requireScope('experiments:read')
  const write = app.requireScope('experiments:write')

  app.get(
    '/',
    { onRequest: read, schema: { summary: 'List audiences', tags, querystring: ListAudiencesQuery, response: { 200: Page(AudienceView), ...errors } } },
    async (request) => audiences.list(request.user.tenantId, request.query),
  )

  app.post(
    '/',
    {
      onRequest: write,
      schema: { summary: 'Create an audience (targeting conditions)', tags, body: CreateAudienceBody, response: { 201: Data(AudienceView), ...errors } },
    },
    async (request, reply) => reply.code(201).send({ data: await audiences.create(request.user.tenantId, request.body) }),
  )

  app.get(
    '/:id',
    { onRequest: read, schema: { summary: 'Get an audience', tags, params: IdParams, response: { 200: Data(AudienceView), ...errors } } },
    async (request) => ({ data: await audiences.get(request.user.tenantId, request.params.id) }),
  )

  app.patch(
    '/:id',
    {
      onRequest: write,
      schema: {
        summary: "Change an audience (running experiments' configs follow)",
        tags,
        params: IdParams,
        body: UpdateAudienceBody,
        response: { 200: Data(AudienceView), ...errors },
      },
    },
    async (request) => ({ data: await audiences.update(request.user.tenantId, request.params.id, request.body) }),
  )

  app.delete(
    '/:id',
    {
      onRequest: write,
      schema: {
        summary: 'Delete an audience (409 while an experiment that is not archived uses it)',
        tags,
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await audiences.remove(request.user.tenantId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}
