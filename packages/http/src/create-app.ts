import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { errorHandler, send } from './error-handler.js'
import { ValidationFailed, type ErrorDetail } from './errors.js'
import { RequestLinesAtDebug } from './request-log-lines.js'
import { AJV_OPTIONS } from './validation.js'

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

/** Longest path parameter the router matches: above every schema's maxLength, so schemas name the parameter. */
const MAX_PARAM_LENGTH = 512

/**
 * Where strings or keys in a parsed request part contain U+0000, which PostgreSQL text and jsonb
 * cannot store: refused as bad input here instead of failing in the database as a 500. Iterative,
 * so a deeply nested body cannot overflow the stack.
 */
const nulCharacterDetails = (value: unknown, part: 'params' | 'querystring' | 'body'): ErrorDetail[] => {
  const details: ErrorDetail[] = []
  const pending: [unknown, string][] = [[value, '']]
  const report = (path: string) =>
    details.push({ path: path || '/', message: `${path.slice(1) || part} must not contain the NUL character (\\u0000)`, in: part })
  while (pending.length) {
    const [current, path] = pending.pop()!
    if (typeof current === 'string') {
      if (current.includes('\u0000')) report(path)
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
        if (key.includes('\u0000')) report(childPath)
        else pending.push([child, childPath])
      }
    }
  }
  return details
}

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
    logController: new RequestLinesAtDebug(),
    bodyLimit: options.bodyLimit,
    requestIdHeader: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Malformed URLs and overlong path parameters fail before routing: they get the envelope too.
    frameworkErrors: (error, request, reply) => {
      const message =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
          : 'the URL is malformed (invalid percent-encoding)'
      return send(reply.header('x-request-id', request.id), request, 'VALIDATION_FAILED', message)
    },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    ajv: AJV_OPTIONS,
    ...options.fastify,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Callback-style hooks: they run on every request, and cost less than async ones.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  // Only JSON bodies: anything else (text/plain included, which Fastify parses by default) is 415.
  app.removeContentTypeParser('text/plain')
  // An empty body with a JSON content type (curl -H 'content-type: application/json' -X POST …/start)
  // means "no body", as for bodiless actions; anything else goes through Fastify's safe JSON parser.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  // JSON can carry U+0000 only as the escape \u0000, so only bodies whose text holds it are walked.
  const mayHoldNul = new WeakSet<object>()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).includes('\\u0000')) mayHoldNul.add(request)
    return body === '' ? done(null, undefined) : parseJson(request, body as string, done)
  })
  app.addHook('preValidation', (request, _reply, done) => {
    const inUrl = request.url.includes('%00')
    if (!inUrl && !mayHoldNul.has(request)) return done()
    const details = [
      ...(inUrl ? nulCharacterDetails(request.params, 'params') : []),
      ...(inUrl ? nulCharacterDetails(request.query, 'querystring') : []),
      ...(mayHoldNul.has(request) ? nulCharacterDetails(request.body, 'body') : []),
    ]
    done(details.length ? new ValidationFailed(details.map((d) => d.message).join('; '), details) : undefined)
  })
  await app.register(errorHandler)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: options.version },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
    // A prefixed route '/' is served with and without the trailing slash; document the contract's form.
    transform: ({ schema, url }) => ({ schema, url: url.length > 1 ? url.replace(/\/$/, '') : url }),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  return app
}

export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>
