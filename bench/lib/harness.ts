import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanupAll, exitOnSignals } from './cleanup.js'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export const log = (message: string) => console.log(`[bench] ${message}`)

/** `--cpu-prof` arguments for a child when BENCH_CPU_PROF names a directory. */
export const profileArgs = (): string[] => (process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])

/**
 * Exits with a hint unless the given service entries (paths from the root) and devstack are built:
 * the benchmarks run the built services, and import the workspace packages from their dist.
 */
export const requireBuilt = (entries: string[]) => {
  const missing = [...entries, 'packages/devstack/dist/index.js'].filter((file) => !existsSync(join(ROOT, file)))
  if (missing.length) {
    console.error(`[bench] not built (missing ${missing.join(', ')}): run \`npm run build\` first`)
    process.exit(1)
  }
}

/** Runs a benchmark's main: cleanup on success, on error and on Ctrl-C; an error exits 1. */
export const runBenchmark = async (main: () => Promise<void>) => {
  exitOnSignals()
  try {
    await main()
  } catch (error) {
    console.error(`[bench] failed: ${(error as Error).stack ?? error}`)
    process.exitCode = 1
  } finally {
    await cleanupAll()
  }
}

/** A JSON call to a service's API with the bearer token; resolves to the envelope's `data`, throws on a non-2xx answer. */
export const apiCaller =
  (token: string) =>
  async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const json = (await response.json()) as { data: Record<string, unknown> }
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(json)}`)
    return json.data
  }
