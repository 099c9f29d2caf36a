import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, itemIndex, statusOf, type ErrorCode, type ErrorDetail } from './errors.js'
import { isDependencyUnavailable } from './unavailable.js'

type Envelope = { error: { code: ErrorCode; message: string; details?: ErrorDetail[] }; requestId: string }

/** `message` and `details` as sent: at most MAX_DETAILS details, the message saying how many more there were. */
const capped = (message: string, details: ErrorDetail[] | undefined, total = details?.length ?? 0) =>
  total > MAX_DETAILS ? { message: `${message} (and ${total - MAX_DETAILS} more problems)`, details: details!.slice(0, MAX_DETAILS) } : { message, details }

/** Sends the error envelope; also used for errors Fastify raises before routing (see create-app.ts). */
export const send = (
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: ErrorDetail[],
  headers: Record<string, string> = {},
) => {
  const body: Envelope = { error: { code, message, ...(details ? { details } : {}) }, requestId: request.id }
  return reply.code(statusOf[code]).headers(headers).type('application/json').send(body)
}

type AjvError = {
  instancePath: string
  message?: string
  keyword: string
  params: Record<string, unknown>
  parentSchema?: { description?: string }
}

/**
 * Details an error envelope lists at most: a 1 MiB body of invalid items holds a million problems,
 * whose full list took seconds to write and weighed 150 MB.
 */
const MAX_DETAILS = 100

/** Turns Ajv's errors (the first MAX_DETAILS) into `{path, message}` pairs whose path points at the offending field. */
const validationDetails = (error: FastifyError): ErrorDetail[] => {
  const context = error.validationContext === 'querystring' ? 'query parameter' : error.validationContext
  return (error.validation as unknown as AjvError[]).slice(0, MAX_DETAILS).map((v) => {
    let path = v.instancePath || ''
    if (v.keyword === 'additionalProperties') path += `/${String(v.params.additionalProperty)}`
    if (v.keyword === 'required') path += `/${String(v.params.missingProperty)}`
    const field = path.replace(/^\//, '') || context || 'body'
    const message =
      v.keyword === 'additionalProperties'
        ? `unknown field "${String(v.params.additionalProperty)}"`
        : v.keyword === 'required'
          ? `${field} is required`
          : v.keyword === 'pattern' && v.parentSchema?.description
            ? `${field} ${v.parentSchema.description}`
            : `${field} ${v.message ?? 'is invalid'}`
    return { path: path || '/', message, in: error.validationContext ?? 'body', ...itemIndex(path) }
  })
}

// Fastify's own error codes for problems with the request itself, and what we answer for each.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
}

/** The one error envelope of every service: `{error: {code, message, details}, requestId}`. */
export const errorHandler = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      const { message, details } = capped(error.message, error.details)
      return send(reply, request, error.code, message, details, error.headers)
    }
    if (error.validation) {
      const all = validationDetails(error)
      const { message, details } = capped(all.map((d) => d.message).join('; '), all, error.validation.length)
      return send(reply, request, 'VALIDATION_FAILED', message, details)
    }
    const mapped = error.code ? fastifyCodes[error.code] : undefined
    if (mapped) return send(reply, request, mapped, error.message)
    if (error instanceof SyntaxError && error.statusCode === 400) return send(reply, request, 'INVALID_JSON', error.message)
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'client error')
      return send(reply, request, 'VALIDATION_FAILED', error.message)
    }
    if (isDependencyUnavailable(error)) {
      request.log.warn({ err: error }, 'dependency unavailable')
      return send(reply, request, 'SERVICE_UNAVAILABLE', 'a backing service is unavailable; retry shortly', undefined, {
        'retry-after': '1',
      })
    }
    request.log.error({ err: error }, 'unhandled error')
    return send(reply, request, 'INTERNAL_ERROR', 'internal error; the request id identifies it in the logs')
  })
  app.setNotFoundHandler((request, reply) =>
    send(reply, request, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  )
})
