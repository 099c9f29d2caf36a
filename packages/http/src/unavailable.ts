// Error shapes that mean "a dependency is down", not "this request is wrong".
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])
// ReplicasDidNotConfirm: @experiments/redis's replica acknowledgement (REDIS_MIN_REPLICAS_ACK) timed out.
const IOREDIS_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'ReplicasDidNotConfirm'])
// The last ones are a Redis Cluster's while a master fails over: its slots are down, moving, or
// served by a replica that is not promoted yet.
const IOREDIS_MESSAGES = [
  /Connection is closed/,
  /enableOfflineQueue options is false/,
  /Stream isn't writeable/,
  /^CLUSTERDOWN/,
  /^TRYAGAIN/,
  /^MASTERDOWN/,
  /^READONLY/,
  /^LOADING/,
  /Too many Cluster redirections/,
  /Failed to refresh slots cache/,
]
// ioredis rejects a command with exactly this when its connection's commandTimeout passes (a stalled Redis).
const IOREDIS_TIMED_OUT = 'Command timed out'
// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention).
const PG_UNAVAILABLE = /^(08|57P)/
// pg's own errors, without a SQLSTATE, for a connection that PostgreSQL dropped (stopped, restarted).
const PG_MESSAGES = ['Connection terminated unexpectedly', 'Client has encountered a connection error and is not queryable']

/** True when `error` says PostgreSQL or Redis could not be reached, or Redis did not answer in time: worth a 503 and a retry. */
export const isDependencyUnavailable = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false
  const { code } = error as { code?: unknown }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code))) return true
  if (IOREDIS_NAMES.has(error.name)) return true
  if (error.message === IOREDIS_TIMED_OUT) return true
  if (IOREDIS_MESSAGES.some((m) => m.test(error.message))) return true
  if (PG_MESSAGES.includes(error.message)) return true
  return error.message.includes('timeout exceeded when trying to connect')
}

/** The message of the 503 for `error`, or undefined when it does not mean a dependency is unavailable. */
export const unavailableMessage = (error: unknown): string | undefined => {
  if (!isDependencyUnavailable(error)) return undefined
  const { name, message } = error as Error
  if (message === IOREDIS_TIMED_OUT) return 'Redis did not answer in time; retry shortly'
  if (name === 'ReplicasDidNotConfirm') return `${message}; retry shortly`
  return 'a backing service is unavailable; retry shortly'
}
