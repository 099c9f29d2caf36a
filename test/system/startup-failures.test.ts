/**
 * A service started against a PostgreSQL that cannot be reached prints one line naming
 * DATABASE_URL's host and the cause, never the password, and exits 1: the orchestrator restarts
 * it (Kubernetes with its backoff, Compose `restart: unless-stopped`). Runs the built entry points.
 */
import { freePort } from '@experiments/devstack'
import { describe, expect, it } from 'vitest'
import { exited, spawnServiceWithOutput } from './system.js'

const PASSWORD = 'pa55-w0rd-not-to-print'

const startAgainstClosedPort = async (entry: string, host: string) => {
  const port = await freePort() // nothing listens there
  const { child, output } = await spawnServiceWithOutput(entry, {
    DATABASE_URL: `postgres://experiments:${PASSWORD}@${host}:${port}/experiments`,
    GATEWAY_PORT: String(await freePort()),
  })
  await exited(child)
  // Let the pipes drain what was written just before the exit.
  await new Promise((r) => setTimeout(r, 50))
  return { port, code: child.exitCode, lines: [...output.stdout, ...output.stderr] }
}

describe('a service started against an unreachable PostgreSQL', () => {
  it.each([
    ['analytics', 'apps/analytics/dist/main.js', '127.0.0.1'],
    ['gateway', 'apps/gateway/dist/server.js', '127.0.0.1'],
    // localhost may resolve to ::1 and 127.0.0.1: Node then reports both failures in one AggregateError without a message.
    ['analytics', 'apps/analytics/dist/main.js', 'localhost'],
  ])('%s (%s, host %s) prints one line naming the host and the cause, and exits 1', async (service, entry, host) => {
    const { port, code, lines } = await startAgainstClosedPort(entry, host)
    expect(code).toBe(1)
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${service}: cannot start: PostgreSQL at ${host}:${port}/experiments \\(DATABASE_URL\\): connect ECONNREFUSED [^;]*:${port}; exiting with status 1$`,
        ),
      ),
    ])
    expect(lines.join('\n')).not.toContain(PASSWORD)
  })
})
