import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../../', import.meta.url).pathname

describe('a service started with a bad environment', () => {
  it.each([
    ['gateway', 'apps/gateway/dist/server.js', { GATEWAY_PORT: 'eighty' }, 'GATEWAY_PORT'],
    ['assignment', 'apps/assignment/dist/server.js', { JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    ['analytics', 'apps/analytics/dist/main.js', { DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
    ['gateway', 'apps/gateway/dist/server.js', { REDIS_CLUSTER_NODES: '127.0.0.1:7000,' }, 'REDIS_CLUSTER_NODES'],
    ['assignment', 'apps/assignment/dist/server.js', { REDIS_CLUSTER_NODES: 'redis-1' }, 'REDIS_CLUSTER_NODES'],
    ['analytics', 'apps/analytics/dist/main.js', { REDIS_CLUSTER_NODES: 'redis-1:99999' }, 'REDIS_CLUSTER_NODES'],
  ])('the %s stops with exit code 1 and a message naming the variable', (_service, entry, bad, variable) => {
    const result = spawnSync(process.execPath, [`${ROOT}${entry}`], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        REDIS_URL: 'redis://127.0.0.1:6379',
        JWT_SECRET: 'x'.repeat(32),
        ...bad,
      },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('Invalid environment')
    expect(result.stderr).toContain(variable)
  })
})
