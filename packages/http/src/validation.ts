import type { FastifyRequest } from 'fastify'

/**
 * Ajv as every service validates with: unknown fields are rejected, never stripped, and types are
 * never coerced. verbose: errors carry their schema, whose description words the message for
 * pattern failures.
 */
export const AJV_OPTIONS = {
  customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: true, verbose: true },
}

/**
 * Keyword of the marker a batch validator (the gateway's conversion routes) appends to its errors
 * when it stopped listing problems: `params.count` more items are invalid (one problem or more
 * each). The error handler reads it.
 */
export const MORE_INVALID_ITEMS = 'moreInvalidItems'

/**
 * Keyword of a problem that a route's own check adds beside the schema's errors, so that one answer
 * lists both (a route with `attachValidation` that checks what the schema cannot before it rethrows
 * the validation error): its `message` is worded in full; its `instancePath` gives path and index.
 * The error handler reads it.
 */
export const CHECKED_PROBLEM = 'checkedProblem'

/**
 * A route's preValidation hook for an optional body: none is taken as `{}`, which the schema then
 * checks. JSON `null` is a body (not an object), so the schema refuses it.
 */
export const absentBodyAsEmpty = async (request: FastifyRequest) => {
  if (request.body === undefined) request.body = {}
}
