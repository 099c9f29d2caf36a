import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SdkClientKeyNotFound } from '@experiments/contracts'
import { errorResponses } from '@experiments/schemas'
import type { FastifySchema } from 'fastify'
import { Type } from 'typebox'
import { isClientKeyForm, type ClientKeyCache } from '../client-keys.js'
import { SdkPayload } from '../sdk-payload.js'
import type { SdkPayloadCache } from '../sdk-payload-cache.js'

const ClientKeyParams = Type.Object({
  clientKey: Type.String({ description: 'the client key of an SDK connection: `sdk-` and 20 to 96 URL-safe characters' }),
})

const ANY_ORIGIN = '*'
/** Shared caches may serve a payload for 30 s, and a stale one for an hour while they fetch anew. */
const CACHE_CONTROL = 'public, max-age=30, stale-while-revalidate=3600'
const PREFLIGHT_MAX_AGE_SECONDS = '86400'
/** A 304 has no body, not even `null`: documented by its description alone. */
const NOT_MODIFIED = { description: 'Not modified: the If-None-Match header names the current ETag (no body)' }
/** The CORS preflight is the browser's, not an operation of the API: @fastify/swagger leaves it out of the docs. */
const UNDOCUMENTED: FastifySchema & { hide: boolean } = { hide: true }

/** Whether an If-None-Match header names `etag`; weak comparison (a `W/` prefix ignored), as RFC 9110 asks for this header. */
const noneMatchHits = (header: string | undefined, etag: string) => {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => {
    const trimmed = tag.trim()
    return (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === etag
  })
}

/** GET /api/features/:clientKey: the SDK payload of the key's tenant, for GrowthBook's SDKs; no token, any origin. */
export const featureRoutes: FastifyPluginAsyncTypebox<{ clientKeys: ClientKeyCache; payloads: SdkPayloadCache }> = async (app, { clientKeys, payloads }) => {
  app.get(
    '/features/:clientKey',
    {
      schema: {
        summary: 'The running experiments of the client key’s tenant, as a GrowthBook SDK payload (no token)',
        description: 'Answers 304 to an If-None-Match naming the current ETag. A client key that is unknown, revoked or malformed is a 404.',
        tags: ['sdk'],
        security: [],
        params: ClientKeyParams,
        response: { 200: SdkPayload, 304: NOT_MODIFIED, ...errorResponses(404, 503) },
      },
    },
    async (request, reply) => {
      // Set first, so that the error envelope of a 404 is readable in a browser too.
      reply.header('access-control-allow-origin', ANY_ORIGIN)
      const { clientKey } = request.params
      const tenantId = isClientKeyForm(clientKey) ? await clientKeys.tenantOf(clientKey) : undefined
      if (tenantId === undefined) throw new SdkClientKeyNotFound()
      const { body, etag } = payloads.of(tenantId)
      reply.header('etag', etag).header('cache-control', CACHE_CONTROL)
      if (noneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send()
      // The bytes serialized once per change of the tenant's configs: Fastify sends a Buffer as it is,
      // and the response schema documents what they hold.
      return reply.type('application/json; charset=utf-8').send(body as never)
    },
  )

  app.options('/features/:clientKey', { schema: UNDOCUMENTED }, (request, reply) => {
    const requestedHeaders = request.headers['access-control-request-headers']
    reply.header('access-control-allow-origin', ANY_ORIGIN)
    reply.header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
    if (requestedHeaders) reply.header('access-control-allow-headers', requestedHeaders)
    reply.header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS)
    return reply.code(204).send()
  })
}
