/**
 * The domain's errors: stable codes and the classes domain code throws, free of any transport.
 * packages/http maps a code to its HTTP status (statusOf) and writes the envelope; across processes
 * (a failed job) an error travels as its code (queues.ts codedFailure).
 */

/** Stable machine-readable error codes: never renamed once shipped. */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'ROUTE_NOT_FOUND',
  'EXPERIMENT_NOT_FOUND',
  'AUDIENCE_NOT_FOUND',
  'SDK_CONNECTION_NOT_FOUND',
  'ILLEGAL_TRANSITION',
  'NOT_IN_DRAFT',
  'AUDIENCE_IN_USE',
  'BACKLOG_FULL',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

const CODES = new Set<string>(ERROR_CODES)

/** Whether `text` is one of the error codes. */
export const isErrorCode = (text: string): text is ErrorCode => CODES.has(text)

/** One problem of a request: where (a JSON pointer) and what, plus fields a client may act on. */
export type ErrorDetail = { path: string; message: string } & Record<string, unknown>

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode
  readonly details: ErrorDetail[] | undefined
  /** When the caller may try again, in seconds (HTTP: Retry-After). */
  readonly retryAfterSeconds: number | undefined

  constructor(message: string, details?: ErrorDetail[], retryAfterSeconds?: number) {
    super(message)
    this.name = new.target.name
    this.details = details
    this.retryAfterSeconds = retryAfterSeconds
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
export class SdkConnectionNotFound extends AppError {
  readonly code = 'SDK_CONNECTION_NOT_FOUND'
  constructor(id: string) {
    super(`SDK connection ${id} does not exist`)
  }
}
/** A client key no SDK connection has: unknown, or revoked. */
export class SdkClientKeyNotFound extends AppError {
  readonly code = 'SDK_CONNECTION_NOT_FOUND'
  constructor() {
    super('no SDK connection has this client key (unknown, or revoked)')
  }
}
export class IllegalTransition extends AppError {
  readonly code = 'ILLEGAL_TRANSITION'
  constructor(id: string, action: string, currentStatus: string) {
    super(`cannot ${action} experiment ${id}: it is ${currentStatus}`, [{ path: '/status', message: `current status is ${currentStatus}`, currentStatus }])
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
    super(message, undefined, retryAfterSeconds)
  }
}
export class ServiceUnavailable extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE'
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, undefined, retryAfterSeconds)
  }
}
