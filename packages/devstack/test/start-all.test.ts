import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { freePort } from '@experiments/devstack'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../../', import.meta.url).pathname

describe('npm start', () => {
  it('starts all three services on embedded defaults, prints a working token, and stops cleanly on SIGTERM', async () => {
    const ports = { GATEWAY_PORT: await freePort(), ASSIGNMENT_PORT: await freePort(), ANALYTICS_PORT: await freePort() }
    const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) }
    // The defaults a new user gets: no database, no Redis, no secret configured.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'JWT_PUBLIC_KEY', 'TEST_DATABASE_URL']) delete env[name]
    env.LOG_LEVEL = 'warn'

    const child = spawn(process.execPath, [`${ROOT}packages/devstack/dist/start-all.js`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const output: string[] = []
    let token: string | undefined
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 90 s:\n${output.join('\n')}`)), 90_000)
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          output.push(line)
          token ??= /^export TOKEN=(\S+)$/.exec(line)?.[1]
          if (line.includes('curl -s')) {
            clearTimeout(timer)
            resolve()
          }
        })
      }
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.join('\n')}`)))
    })
    try {
      await ready
      for (const port of Object.values(ports)) {
        const response = await fetch(`http://127.0.0.1:${port}/ready`)
        expect(response.status).toBe(200)
      }
      expect(token).toBeDefined()
      const list = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/api/experiments`, { headers: { authorization: `Bearer ${token}` } })
      expect(list.status).toBe(200)
      expect(await list.json()).toMatchObject({ meta: { page: 1, limit: 20 } })
      expect(output.join('\n')).toContain('embedded PostgreSQL')
      expect(output.join('\n')).toContain('private redis-server')
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  }, 120_000)
})
