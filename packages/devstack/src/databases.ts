import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The URL of `database` on the server that `serverUrl` points at. */
export const databaseUrl = (serverUrl: string, database: string) => {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

const adminQuery = async (serverUrl: string, text: string, values: unknown[] = []) => {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await client.query(text, values)
  } finally {
    await client.end()
  }
}

/** Creates `name` on the server unless it exists. Database names here are ours, never user input. */
export const ensureDatabase = async (serverUrl: string, name: string) => {
  const { rowCount } = await adminQuery(serverUrl, 'select 1 from pg_database where datname = $1', [name])
  if (!rowCount) await adminQuery(serverUrl, `create database ${name}`)
}

/**
 * A new database `<prefix>_<random>` on the server, for tests and benchmarks that must not touch
 * anyone's data; `drop` removes it, connections and all.
 */
export const throwawayDatabase = async (serverUrl: string, prefix: string) => {
  const name = `${prefix}_${Date.now()}_${randomBytes(3).toString('hex')}`
  await adminQuery(serverUrl, `create database ${name}`)
  return {
    name,
    url: databaseUrl(serverUrl, name),
    drop: async () => {
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`)
    },
  }
}
