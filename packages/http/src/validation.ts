import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifyRequest, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'

/**
 * Ajv as every service validates with: unknown fields are rejected, never stripped, and types are
 * never coerced. verbose: errors carry their schema, whose description words the message for
 * pattern failures.
 */
export const AJV_OPTIONS = {
  customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: true, verbose: true },
}

let compileWithAjv: AjvCompiler.ValidatorCompiler | undefined

/** An Ajv validator of a schema without $async: it answers at once. */
type SyncValidator = { (data: unknown): boolean; errors?: FastifySchemaValidationError[] | null }

/**
 * A route's validator compiler for a hot route whose bodies are large: `quickAccept`, a plain-code
 * check of the valid shape, answers first, and an Ajv validator of the schema with the options
 * every route uses runs only when it declines, so a rejected body gets the same error details as
 * anywhere else. `quickAccept` may decline valid bodies but must never accept one the schema
 * rejects (test it against the schema); the schema must be self-contained (no $ref to schemas
 * added with addSchema) and have no defaults (Ajv would not fill them in).
 */
export const quickAcceptValidator =
  (quickAccept: (body: unknown) => boolean): FastifySchemaCompiler<unknown> =>
  (route) => {
    compileWithAjv ??= AjvCompiler()({}, AJV_OPTIONS)
    const full = compileWithAjv(route as AjvCompiler.RouteDefinition) as SyncValidator
    if (route.httpPart !== 'body') return full
    const validate: SyncValidator = (body) => {
      if (quickAccept(body)) return true
      const valid = full(body)
      validate.errors = full.errors
      return valid
    }
    return validate
  }

/** A route's preValidation hook for an optional body: none is taken as `{}`, which the schema then checks. */
export const absentBodyAsEmpty = async (request: FastifyRequest) => {
  request.body ??= {}
}
