import { createDb } from './connect.js'
import { migrateToLatest } from './migrate.js'

/** How long a service's start waits for PostgreSQL to accept a connection before it gives up. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * Where a connection string points, for messages: `host:port/database`, never its user or password.
 * @example databaseTarget('postgres://app:secret@db.internal/experiments') // 'db.internal:5432/experiments'
 */
export const databaseTarget = (databaseUrl: string): string => {
  try {
    const url = new URL(databaseUrl)
    return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname.length > 1 ? url.pathname : ''}`
  } catch {
    return '(an unparsable URL)'
  }
}

/** An error's cause in one line: Node wraps a failed connection to every address of a host in an AggregateError without a message. */
const causeOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return [...new Set(error.errors.map(causeOf))].join('; ')
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name
  return String(error)
}

/** The password of `databaseUrl`, as written and decoded, when it is long enough to be searched for. */
const passwordsOf = (databaseUrl: string): string[] => {
  try {
    const { password } = new URL(databaseUrl)
    return password.length >= 4 ? [...new Set([password, decodeURIComponent(password)])] : []
  } catch {
    return []
  }
}

/**
 * What went wrong with PostgreSQL, in one line naming DATABASE_URL's host, port and database and the
 * cause (connection refused, unknown host, timeout, authentication, a migration's error), never the
 * password.
 * @example postgresFailure(url, error) // 'PostgreSQL at db:5432/experiments (DATABASE_URL): connect ECONNREFUSED 10.0.0.7:5432'
 */
export const postgresFailure = (databaseUrl: string, error: unknown): string => {
  let cause = causeOf(error).replace(/\s*\n\s*/g, ' ')
  for (const password of passwordsOf(databaseUrl)) cause = cause.split(password).join('***')
  return `PostgreSQL at ${databaseTarget(databaseUrl)} (DATABASE_URL): ${cause}`
}

/**
 * Applies pending migrations at a service's start, on a connection of its own (without a statement
 * timeout: migrations may run long) that is closed afterwards. When PostgreSQL cannot be reached
 * within 10 s, refuses the login, or a migration fails, prints one line (`<service>: cannot start:
 * PostgreSQL at host:5432/db (DATABASE_URL): <cause>; exiting with status 1`) and exits 1: the
 * container's restart policy (Kubernetes, Compose `restart: unless-stopped`) starts it again, with
 * its own backoff.
 */
export const migrateOrExit = async (service: string, databaseUrl: string): Promise<void> => {
  const db = createDb(databaseUrl, { max: 1, connectionTimeoutMs: CONNECT_TIMEOUT_MS })
  try {
    await migrateToLatest(db)
  } catch (error) {
    console.error(`${service}: cannot start: ${postgresFailure(databaseUrl, error)}; exiting with status 1`)
    process.exit(1)
  } finally {
    await db.destroy()
  }
}
