import AjvCompiler from '@fastify/ajv-compiler'
import { AJV_OPTIONS, MAX_DETAILS, MORE_INVALID_ITEMS } from '@experiments/http'
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'

/** The same Ajv, stopping at the first problem: only whether a value is valid. */
const FIRST_PROBLEM_OPTIONS = { customOptions: { ...AJV_OPTIONS.customOptions, allErrors: false, verbose: false } }

let compileWithAjv: AjvCompiler.ValidatorCompiler | undefined
let compileFirstProblem: AjvCompiler.ValidatorCompiler | undefined

/** An Ajv validator of a schema without $async: it answers at once. */
type SyncValidator = { (data: unknown): boolean; errors?: FastifySchemaValidationError[] | null }
type ObjectSchema = { properties?: Record<string, { items?: object }> }

/**
 * The validator compiler of a conversion route, whose body is a batch: an object whose `itemsKey`
 * array holds up to a thousand items. `quickAccept`, a plain-code check of the valid shape, answers
 * first. When it declines, Ajv with the options every route uses decides, with the same errors, but
 * item by item: the problems of the items are listed until MAX_DETAILS are, and later items are
 * only checked and counted, so a 1 MiB body of invalid items is not taken apart problem by problem.
 * `quickAccept` may decline valid bodies but must never accept one the schema rejects (test it
 * against the schema); the schema must be self-contained (no $ref to schemas added with addSchema)
 * and have no defaults (Ajv would not fill them in).
 */
export const batchValidator =
  ({ itemsKey, quickAccept }: { itemsKey: string; quickAccept: (body: unknown) => boolean }): FastifySchemaCompiler<unknown> =>
  (route) => {
    compileWithAjv ??= AjvCompiler()({}, AJV_OPTIONS)
    compileFirstProblem ??= AjvCompiler()({}, FIRST_PROBLEM_OPTIONS)
    const compile = (compiler: AjvCompiler.ValidatorCompiler, schema: object) => compiler({ ...route, schema } as AjvCompiler.RouteDefinition) as SyncValidator
    if (route.httpPart !== 'body') return compile(compileWithAjv, route.schema as object)
    const schema = route.schema as ObjectSchema
    const list = schema.properties?.[itemsKey]
    if (!list?.items) throw new Error(`${route.method} ${route.url}: the body schema has no array "${itemsKey}" with an items schema`)
    // The body without its items' schema; then each item against that schema.
    const shell = compile(compileWithAjv, { ...schema, properties: { ...schema.properties, [itemsKey]: { ...list, items: {} } } })
    const itemProblems = compile(compileWithAjv, list.items)
    const itemIsValid = compile(compileFirstProblem, list.items)

    const validate: SyncValidator = (body) => {
      if (quickAccept(body)) return true
      const errors = shell(body) ? [] : [...shell.errors!]
      const items = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[itemsKey] : undefined
      if (Array.isArray(items)) {
        let unlisted = 0
        items.forEach((item, index) => {
          if (errors.length >= MAX_DETAILS) {
            if (!itemIsValid(item)) unlisted++
          } else if (!itemProblems(item)) {
            for (const error of itemProblems.errors!) errors.push({ ...error, instancePath: `/${itemsKey}/${index}${error.instancePath}` })
          }
        })
        if (unlisted > 0) {
          errors.push({ keyword: MORE_INVALID_ITEMS, instancePath: '', schemaPath: '', params: { count: unlisted }, message: `${unlisted} more invalid items` })
        }
      }
      validate.errors = errors.length ? errors : null
      return errors.length === 0
    }
    return validate
  }
