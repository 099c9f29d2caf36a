import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type ErrorCode, type ErrorDetail } from '@experiments/contracts'
import { itemIndex, MAX_DETAILS, statusOf } from './errors.js'
import { foldAllowedValues, type AjvValidationError } from './allowed-values.js'
import { unavailableMessage } from './unavailable.js'
import { CHECKED_PROBLEM, MORE_INVALID_ITEMS } from './validation.js'

type Envelope = { error: { code: ErrorCode; message: string; details?: ErrorDetail[] }; requestId: string }

/**
 * `message` and `details` as sent: at most MAX_DETAILS details, the message saying how many more
 * there were (`atLeast`: a count of further invalid items, each with one problem or more).
 */
const capped = (message: string, details: ErrorDetail[] | undefined, total = details?.length ?? 0, atLeast = false) =>
  total > MAX_DETAILS
    ? { message: `${message} (and ${atLeast ? 'at least ' : ''}${total - MAX_DETAILS} more problems)`, details: details!.slice(0, MAX_DETAILS) }
    : { message, details }

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

/** Turns Ajv's errors (the first MAX_DETAILS) into `{path, message}` pairs whose path points at the offending field. */
const validationDetails = (errors: AjvError[], validationContext: FastifyError['validationContext']): ErrorDetail[] => {
  const context = validationContext === 'querystring' ? 'query parameter' : validationContext
  return errors.slice(0, MAX_DETAILS).map((v) => {
    let path = v.instancePath || ''
    if (v.keyword === 'additionalProperties') path += `/${String(v.params.additionalProperty)}`
    if (v.keyword === 'required') path += `/${String(v.params.missingProperty)}`
    const field = path.replace(/^\//, '') || context || 'body'
    const message =
      v.keyword === CHECKED_PROBLEM
        ? (v.message ?? `${field} is invalid`)
        : v.keyword === 'additionalProperties'
          ? `unknown field "${String(v.params.additionalProperty)}"`
          : v.keyword === 'required'
            ? `${field} is required`
            : v.keyword === 'pattern' && v.parentSchema?.description
              ? `${field} ${v.parentSchema.description}`
              : `${field} ${v.message ?? 'is invalid'}`
    return { path: path || '/', message, in: validationContext ?? 'body', ...itemIndex(path) }
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
      const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) }
      return send(reply, request, error.code, message, details, headers)
    }
    if (error.validation) {
      // A batch validator that stopped listing problems counts the items it only checked (MORE_INVALID_ITEMS).
      const more = error.validation.find((v) => v.keyword === MORE_INVALID_ITEMS)
      // A value outside a fixed set is one problem naming the allowed values, not one per value.
      const listed = foldAllowedValues((more ? error.validation.filter((v) => v !== more) : error.validation) as unknown as AjvValidationError[])
      const all = validationDetails(listed, error.validationContext)
      const total = listed.length + (more ? Number(more.params.count) : 0)
      const { message, details } = capped(all.map((d) => d.message).join('; '), all, total, more !== undefined)
      return send(reply, request, 'VALIDATION_FAILED', message, details)
    }
    const mapped = error.code ? fastifyCodes[error.code] : undefined
    if (mapped) return send(reply, request, mapped, error.message)
    if (error instanceof SyntaxError && error.statusCode === 400) return send(reply, request, 'INVALID_JSON', error.message)
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'client error')
      return send(reply, request, 'VALIDATION_FAILED', error.message)
    }
    const unavailable = unavailableMessage(error)
    if (unavailable) {
      request.log.warn({ err: error }, 'dependency unavailable')
      return send(reply, request, 'SERVICE_UNAVAILABLE', unavailable, undefined, { 'retry-after': '1' })
    }
    request.log.error({ err: error }, 'unhandled error')
    return send(reply, request, 'INTERNAL_ERROR', 'internal error; the request id identifies it in the logs')
  })
  app.setNotFoundHandler((request, reply) => send(reply, request, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`))
})
