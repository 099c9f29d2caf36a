import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from './types.js'

// bigint counts come back as strings by default; ours stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

/**
 * Opens a pooled Kysely connection to DATABASE_URL. An idle connection that PostgreSQL drops (a
 * restart, a killed backend) leaves the pool and is replaced on the next query; without this
 * listener pg would throw the error and take the whole process down. `statementTimeoutMs` makes
 * PostgreSQL cancel any statement of the pool that runs longer; `connectionTimeoutMs` bounds the
 * wait for a connection (an unreachable host would otherwise take the kernel's minutes to fail).
 */
export const createDb = (connectionString: string, options: { max?: number; statementTimeoutMs?: number; connectionTimeoutMs?: number } = {}): Kysely<DB> => {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.connectionTimeoutMs ? { connectionTimeoutMillis: options.connectionTimeoutMs } : {}),
  })
  pool.on('error', () => {})
  // pg-pool listens only while a client is idle; a client in use whose connection drops (PostgreSQL
  // stopped during a query) emits 'error' too, and without a listener that ended the process. Its
  // query fails on its own, and the pool discards the client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}))
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
}
