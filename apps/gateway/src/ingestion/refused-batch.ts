import type { ErrorDetail } from '@experiments/contracts'
import { CHECKED_PROBLEM } from '@experiments/http'
import type { FastifyError } from 'fastify'

const eventIndex = (path: string) => Number(/^\/events\/(\d+)/.exec(path)?.[1] ?? -1)

/**
 * The validation error of a batch its schema refused, with the problems that only the intake sees
 * (`beyond`: timestamps, experiments) added and every problem ordered by event, so that one 400
 * lists them all: a bad metric in one event no longer hides a future timestamp in another until the
 * client's next try. The error handler words and caps the list as for any validation error.
 */
export const withProblemsBeyondSchema = (error: FastifyError, beyond: readonly ErrorDetail[]): FastifyError => {
  if (beyond.length === 0 || !error.validation) return error
  const added = beyond.map((problem) => ({ keyword: CHECKED_PROBLEM, instancePath: problem.path, schemaPath: '', params: {}, message: problem.message }))
  // Array.prototype.sort is stable: each event's problems keep their order, the schema's first.
  error.validation = [...error.validation, ...added].sort((a, b) => eventIndex(a.instancePath) - eventIndex(b.instancePath))
  return error
}
