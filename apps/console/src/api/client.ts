import { currentSession, signOut } from '../auth/session.js'

/** One problem the API named: `path` is a JSON pointer into the request body (/variants/1/splitPercentage). */
export type ErrorDetail = { path: string; message: string }

/** An answer other than 2xx, as the API's error envelope put it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message)
  }
}

type Envelope = { error?: { code?: unknown; message?: unknown; details?: unknown } }

const toApiError = (response: Response, body: unknown): ApiError => {
  const error = (body as Envelope | null)?.error
  if (typeof error?.message !== 'string') {
    return new ApiError(response.status, 'UNEXPECTED_RESPONSE', `The API answered ${response.status} ${response.statusText}`.trim())
  }
  const details = Array.isArray(error.details) ? (error.details as ErrorDetail[]).filter((d) => typeof d?.path === 'string') : []
  return new ApiError(response.status, String(error.code), error.message, details)
}

const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const headers: Record<string, string> = { accept: 'application/json' }
  const session = currentSession()
  if (session) headers.authorization = `Bearer ${session.token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  } catch {
    throw new ApiError(0, 'NETWORK', 'The API could not be reached. Check that the gateway is running, then try again.')
  }
  const answer: unknown = await response.json().catch(() => null)
  if (response.ok) return answer as T
  const error = toApiError(response, answer)
  // A token the API refuses (expired, revoked secret, malformed) is no session: back to sign-in, saying why.
  if (response.status === 401) signOut(error.message)
  throw error
}

const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value))
  const text = search.toString()
  return text ? `?${text}` : ''
}

export const api = {
  get: <T>(path: string, params: Record<string, string | number | undefined> = {}) => request<T>('GET', `${path}${query(params)}`),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
}
