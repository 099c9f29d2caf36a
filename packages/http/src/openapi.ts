import type { FastifySchema } from 'fastify'

/**
 * Route `config` of an action that takes no body (none, or `{}`; the route's body schema still
 * refuses one with fields): its OpenAPI operation lists no request body. @fastify/swagger marks
 * every body schema as a required request body, which would tell clients they must send one.
 * @example app.post('/:id/start', { config: bodilessInDocs, preValidation: absentBodyAsEmpty, schema: { body: EmptyBody } }, …)
 */
export const bodilessInDocs = {
  swaggerTransform: ({ schema, url }: { schema: FastifySchema; url: string }) => {
    const { body: _taken, ...rest } = schema
    return { schema: rest, url }
  },
}
