import type { ErrorCode } from '@experiments/contracts'

/** The HTTP status each error code answers with: the one place a code meets HTTP. */
export const statusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  ROUTE_NOT_FOUND: 404,
  EXPERIMENT_NOT_FOUND: 404,
  AUDIENCE_NOT_FOUND: 404,
  SDK_CONNECTION_NOT_FOUND: 404,
  ILLEGAL_TRANSITION: 409,
  NOT_IN_DRAFT: 409,
  AUDIENCE_IN_USE: 409,
  BACKLOG_FULL: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
}

/**
 * Details an error envelope lists at most: a 1 MiB body of invalid items holds about a million
 * problems, and listing them all would make the answer to one bad request far larger and slower
 * than the request itself.
 */
export const MAX_DETAILS = 100

/** `{index}` of the first array index on a detail's path: it tells batch clients which item was wrong. */
export const itemIndex = (path: string): { index?: number } => {
  const index = /\/(\d+)(\/|$)/.exec(path)?.[1]
  return index === undefined ? {} : { index: Number(index) }
}
