/** Stable machine-readable error codes: never renamed once shipped. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'EXPERIMENT_NOT_FOUND'
  | 'AUDIENCE_NOT_FOUND'
  | 'ILLEGAL_TRANSITION'
  | 'NOT_IN_DRAFT'
  | 'AUDIENCE_IN_USE'
  | 'BACKLOG_FULL'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR'

export const statusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  ROUTE_NOT_FOUND: 404,
  EXPERIMENT_NOT_FOUND: 404,
  AUDIENCE_NOT_FOUND: 404,
  ILLEGAL_TRANSITION: 409,
  NOT_IN_DRAFT: 409,
  AUDIENCE_IN_USE: 409,
  BACKLOG_FULL: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
}

export type ErrorDetail = { path: string; message: string } & Record<string, unknown>

/**
 * Details an error envelope lists at most: a 1 MiB body of invalid items holds a million problems,
 * whose full list took seconds to write and weighed 150 MB.
 */
export const MAX_DETAILS = 100

/** `{index}` of the first array index on a detail's path: it tells batch clients which item was wrong. */
export const itemIndex = (path: string): { index?: number } => {
  const index = /\/(\d+)(\/|$)/.exec(path)?.[1]
  return index === undefined ? {} : { index: Number(index) }
}

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode
  readonly details: ErrorDetail[] | undefined
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> = {}

  constructor(message: string, details?: ErrorDetail[]) {
    super(message)
    this.name = new.target.name
    this.details = details
  }
}

export class ValidationFailed extends AppError {
  readonly code = 'VALIDATION_FAILED'
}
export class Unauthorized extends AppError {
  readonly code = 'UNAUTHORIZED'
}
export class Forbidden extends AppError {
  readonly code = 'FORBIDDEN'
}
export class ExperimentNotFound extends AppError {
  readonly code = 'EXPERIMENT_NOT_FOUND'
  constructor(id: string) {
    super(`experiment ${id} does not exist`)
  }
}
export class AudienceNotFound extends AppError {
  readonly code = 'AUDIENCE_NOT_FOUND'
  constructor(id: string) {
    super(`audience ${id} does not exist`)
  }
}
export class IllegalTransition extends AppError {
  readonly code = 'ILLEGAL_TRANSITION'
  constructor(id: string, action: string, currentStatus: string) {
    super(`cannot ${action} experiment ${id}: it is ${currentStatus}`, [
      { path: '/status', message: `current status is ${currentStatus}`, currentStatus },
    ])
  }
}
export class NotInDraft extends AppError {
  readonly code = 'NOT_IN_DRAFT'
  constructor(id: string, currentStatus: string) {
    super(`experiment ${id} can only be edited in draft; it is ${currentStatus}`, [
      { path: '/status', message: `current status is ${currentStatus}`, currentStatus },
    ])
  }
}
export class AudienceInUse extends AppError {
  readonly code = 'AUDIENCE_IN_USE'
  constructor(id: string, experimentIds: string[]) {
    super(`audience ${id} is used by ${experimentIds.length} experiment(s) that are not archived`, [
      { path: '/id', message: `used by ${experimentIds.join(', ')}`, experimentIds },
    ])
  }
}
export class UnsupportedMediaType extends AppError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE'
}
export class BacklogFull extends AppError {
  readonly code = 'BACKLOG_FULL'
  constructor(message: string, retryAfterSeconds: number) {
    super(message)
    this.headers['retry-after'] = String(retryAfterSeconds)
  }
}
export class ServiceUnavailable extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE'
  constructor(message: string, retryAfterSeconds?: number) {
    super(message)
    if (retryAfterSeconds !== undefined) this.headers['retry-after'] = String(retryAfterSeconds)
  }
}
