import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { UnsupportedMediaType, ValidationFailed } from '@experiments/contracts'
import { clientErrorHandler } from './client-error.js'
import { errorHandler, send } from './error-handler.js'
import { metricsEndpoint, type MetricsOptions } from './metrics/metrics-endpoint.js'
import { RequestLinesAtDebug } from './request-log-lines.js'
import { mayHoldUnstorableText, unstorableTextDetails } from './unstorable-text.js'
import { AJV_OPTIONS } from './validation.js'

export type HttpAppOptions = {
  title: string
  version: string
  logLevel?: string
  /** Largest accepted request body in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. */
  bodyLimit: number
  /** GET /metrics: its token (METRICS_TOKEN), whether requests are timed. */
  metrics?: MetricsOptions
  /** Extra Fastify options, e.g. a test logger stream. */
  fastify?: FastifyServerOptions
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i

/** Longest path parameter the router matches: above every schema's maxLength, so schemas name the parameter. */
const MAX_PARAM_LENGTH = 512

/**
 * A Fastify instance with what every service shares: the error envelope, request ids (a sane
 * incoming x-request-id is kept), redacted auth headers in logs, strict validation (unknown fields
 * are rejected, never stripped, and types are never coerced), OpenAPI 3.1 at /docs and Prometheus
 * metrics at /metrics.
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
    // Requests Node's HTTP parser refuses (a header value with a line break) get the envelope too.
    clientErrorHandler,
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
  const mayHoldUnstorable = new WeakSet<object>()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259): a body declared in another charset would be misread, not decoded.
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      return done(new UnsupportedMediaType(`JSON bodies are read as UTF-8; charset ${charset} is not supported`), undefined)
    }
    if (mayHoldUnstorableText(body as string)) mayHoldUnstorable.add(request)
    return body === '' ? done(null, undefined) : parseJson(request, body as string, done)
  })
  // A URL carries U+0000 as %00; percent-encoding cannot carry a lone surrogate (not UTF-8).
  app.addHook('preValidation', (request, _reply, done) => {
    const inUrl = request.url.includes('%00')
    if (!inUrl && !mayHoldUnstorable.has(request)) return done()
    const details = [
      ...(inUrl ? unstorableTextDetails(request.params, 'params') : []),
      ...(inUrl ? unstorableTextDetails(request.query, 'querystring') : []),
      ...(mayHoldUnstorable.has(request) ? unstorableTextDetails(request.body, 'body') : []),
    ]
    done(details.length ? new ValidationFailed(details.map((d) => d.message).join('; '), details) : undefined)
  })
  await app.register(errorHandler)
  // After the error handler, whose envelope its 401 takes; before the routes, whose requests it times.
  await app.register(metricsEndpoint, options.metrics ?? {})
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
