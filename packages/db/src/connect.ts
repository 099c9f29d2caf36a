import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from './types.js'

// bigint counts come back as strings by default; ours stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

/** Opens a pooled Kysely connection to DATABASE_URL. */
export const createDb = (connectionString: string, options: { max?: number } = {}): Kysely<DB> =>
  new Kysely<DB>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: options.max ?? 10 }) }),
  })
