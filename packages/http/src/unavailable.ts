// Error shapes that mean "a dependency is down", not "this request is wrong".
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])
const IOREDIS_NAMES = new Set(['MaxRetriesPerRequestError'])
const IOREDIS_MESSAGES = [/Connection is closed/, /enableOfflineQueue options is false/, /Stream isn't writeable/]
// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention).
const PG_UNAVAILABLE = /^(08|57P)/

/** True when `error` says PostgreSQL or Redis could not be reached: worth a 503 and a retry. */
export const isDependencyUnavailable = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false
  const { code } = error as { code?: unknown }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code))) return true
  if (IOREDIS_NAMES.has(error.name)) return true
  if (IOREDIS_MESSAGES.some((m) => m.test(error.message))) return true
  return error.message.includes('timeout exceeded when trying to connect')
}
