import type { ApiError } from '../api/client.js'

/** An API error split into messages at the form's fields (by JSON pointer) and those no field shows. */
export type PlacedErrors = { atField: Record<string, string>; general: string[] }

export const NO_ERRORS: PlacedErrors = { atField: {}, general: [] }

/**
 * Places each detail of `error` at the field whose pointer is its path or the nearest ancestor of it
 * (/variants/0/config/a → /variants/0/config); the message, and details no field holds, go to `general`.
 */
export const placeErrors = (error: ApiError, fields: readonly string[]): PlacedErrors => {
  const atField: Record<string, string> = {}
  const general: string[] = []
  for (const { path, message } of error.details) {
    const field = fields.filter((f) => path === f || path.startsWith(`${f}/`)).sort((a, b) => b.length - a.length)[0]
    if (field === undefined) general.push(message)
    else atField[field] = atField[field] ? `${atField[field]}; ${message}` : message
  }
  return { atField, general: error.details.length === 0 ? [error.message] : general }
}
