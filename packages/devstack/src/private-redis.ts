import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { Redis } from 'ioredis'

export type RunningRedis = { url: string; pid: number; stop: () => Promise<void> }

export const REDIS_INSTALL_HINT =
  'No REDIS_URL is set and no redis-server is on PATH. Install one (Debian/Ubuntu: apt-get install redis-server; ' +
  'macOS: brew install redis) or point REDIS_URL at a Redis 7 server, e.g. REDIS_URL=redis://127.0.0.1:6379.'

export const hasRedisServer = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

/**
 * Spawns a redis-server for this process alone on `port`, with its files in `dir`. With
 * `appendOnly`, every write is logged to disk (fsync each second), as queued events need. With
 * `detached`, it runs in a process group of its own, so a terminal's Ctrl-C reaches only the
 * caller, which stops it when its clients are done.
 */
export const startPrivateRedis = async ({
  dir,
  port,
  appendOnly,
  detached = false,
}: {
  dir: string
  port: number
  appendOnly: boolean
  detached?: boolean
}): Promise<RunningRedis> => {
  if (!hasRedisServer()) throw new Error(REDIS_INSTALL_HINT)
  mkdirSync(dir, { recursive: true })
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', appendOnly ? 'yes' : 'no'], {
    stdio: 'ignore',
    detached,
  })
  const url = `redis://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  try {
    await waitForRedis(url)
  } catch (error) {
    await stop()
    throw error
  }
  return { url, pid: child.pid!, stop }
}

const waitForRedis = async (url: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      return
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${url} did not answer within ${timeoutMs} ms`, { cause: error })
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      client.disconnect()
    }
  }
}
