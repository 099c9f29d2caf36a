import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CreateSdkConnectionBody, Data, errorResponses, IdParams, ListSdkConnectionsQuery, Page, SdkConnectionView } from '@experiments/schemas'
import { Type } from 'typebox'
import type { SdkConnectionService } from '../../domain/sdk-connection-service.js'

const errors = errorResponses(400, 401, 403, 404)
const tags = ['sdk-connections']

/** /api/sdk-connections: the client keys of GrowthBook SDKs, managed with the experiments:write scope. */
export const sdkConnectionRoutes: FastifyPluginAsyncTypebox<{ sdkConnections: SdkConnectionService }> = async (app, { sdkConnections }) => {
  const read = app.requireScope('experiments:read')
  const write = app.requireScope('experiments:write')

  app.get(
    '/',
    {
      onRequest: read,
      schema: {
        summary: 'List SDK connections, newest first (revoked ones are not listed)',
        tags,
        querystring: ListSdkConnectionsQuery,
        response: { 200: Page(SdkConnectionView), ...errors },
      },
    },
    async (request) => sdkConnections.list(request.user.tenantId, request.query),
  )

  app.post(
    '/',
    {
      onRequest: write,
      schema: {
        summary: 'Create an SDK connection (a public client key for GrowthBook SDKs)',
        tags,
        body: CreateSdkConnectionBody,
        response: { 201: Data(SdkConnectionView), ...errors },
      },
    },
    async (request, reply) => reply.code(201).send({ data: await sdkConnections.create(request.user.tenantId, request.body) }),
  )

  app.delete(
    '/:id',
    {
      onRequest: write,
      schema: {
        summary: 'Revoke an SDK connection (its client key stops working at once)',
        tags,
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await sdkConnections.revoke(request.user.tenantId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}
