import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { errorHandler } from './error-handler.js'

export type HttpAppOptions = {
  title: string
  version: string
  logLevel?: string
  /** Largest accepted request body in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. */
  bodyLimit: number
  /** Extra Fastify options, e.g. a test logger stream. */
  fastify?: FastifyServerOptions
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * A Fastify instance with what every service shares: the error envelope, request ids (a sane
 * incoming x-request-id is kept), redacted auth headers in logs, strict validation (unknown fields
 * are rejected, never stripped, and types are never coerced) and OpenAPI 3.1 at /docs.
 */
export const createHttpApp = async (options: HttpAppOptions) => {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    bodyLimit: options.bodyLimit,
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    // verbose: errors carry their schema, whose description words the message for pattern failures.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: true, verbose: true } },
    ...options.fastify,
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  await app.register(errorHandler)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: options.version },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  return app
}

export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>
