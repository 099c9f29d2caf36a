import { describe, expect, it } from 'vitest'
import { EnvError, loadEnv, parseClusterNodes, redisTargetOf } from '@experiments/config'

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app', JWT_SECRET: 'x'.repeat(32) }

const problemsOf = (env: Record<string, string>) => {
  try {
    loadEnv(env)
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError)
    return (error as EnvError).problems
  }
  throw new Error('expected loadEnv to throw')
}

describe('REDIS_CLUSTER_NODES', () => {
  it('names seed nodes host:port, comma-separated; IPv6 hosts in brackets', () => {
    expect(parseClusterNodes('10.0.0.1:7000, redis-1.internal:7001,[::1]:7002')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-1.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ])
  })

  it.each([
    ['', 'entry 1 of 1 is empty'],
    ['a:1,,b:2', 'entry 2 of 3 is empty'],
    ['a:1,', 'entry 2 of 2 is empty'],
    ['redis-1', '"redis-1" has no port'],
    ['redis-1:', 'has port ""'],
    ['redis-1:0', 'a port is 1–65535'],
    ['redis-1:65536', 'a port is 1–65535'],
    ['redis-1:7000:1', 'has no port'],
  ])('refuses %j: %s', (value, message) => {
    expect(parseClusterNodes(value)).toContain(message)
  })

  it('stops the service at start naming the variable, with what is wrong', () => {
    const problems = problemsOf({ ...base, REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2' })
    expect(problems).toEqual([{ variable: 'REDIS_CLUSTER_NODES', message: '"redis-2" has no port; expected host:port' }])
  })

  it('when set, is the Redis every service connects to, and REDIS_URL is neither needed nor used', () => {
    const env = loadEnv({ ...base, REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2:7000', REDIS_URL: 'redis://elsewhere:6379' })
    expect(redisTargetOf(env)).toEqual({
      clusterNodes: [
        { host: 'redis-1', port: 7000 },
        { host: 'redis-2', port: 7000 },
      ],
    })
    expect(redisTargetOf(loadEnv({ ...base, REDIS_CLUSTER_NODES: 'redis-1:7000' }))).toEqual({ clusterNodes: [{ host: 'redis-1', port: 7000 }] })
  })

  it('unset, REDIS_URL is required and used', () => {
    expect(redisTargetOf(loadEnv({ ...base, REDIS_URL: 'redis://127.0.0.1:6379' }))).toEqual({ url: 'redis://127.0.0.1:6379' })
    expect(problemsOf(base).map((p) => p.variable)).toEqual(['REDIS_URL'])
  })
})

describe('CONVERSION_QUEUE_SHARDS and REDIS_MIN_REPLICAS_ACK', () => {
  const env = { ...base, REDIS_URL: 'redis://127.0.0.1:6379' }
  it('default to 4 shards, no replica acknowledgement and a 500 ms wait for it', () => {
    expect(loadEnv(env)).toMatchObject({ CONVERSION_QUEUE_SHARDS: 4, REDIS_MIN_REPLICAS_ACK: 0, REDIS_REPLICA_ACK_TIMEOUT_MS: 500 })
  })
  it('take 1–64 shards, 0–16 replicas, 10–60000 ms', () => {
    expect(loadEnv({ ...env, CONVERSION_QUEUE_SHARDS: '64', REDIS_MIN_REPLICAS_ACK: '16', REDIS_REPLICA_ACK_TIMEOUT_MS: '10' })).toMatchObject({
      CONVERSION_QUEUE_SHARDS: 64,
      REDIS_MIN_REPLICAS_ACK: 16,
      REDIS_REPLICA_ACK_TIMEOUT_MS: 10,
    })
    for (const [variable, value] of [
      ['CONVERSION_QUEUE_SHARDS', '0'],
      ['CONVERSION_QUEUE_SHARDS', '65'],
      ['REDIS_MIN_REPLICAS_ACK', '-1'],
      ['REDIS_MIN_REPLICAS_ACK', '17'],
      ['REDIS_REPLICA_ACK_TIMEOUT_MS', '9'],
      ['REDIS_REPLICA_ACK_TIMEOUT_MS', '60001'],
    ] as const) {
      expect(problemsOf({ ...env, [variable]: value }).map((p) => p.variable)).toEqual([variable])
    }
  })
})
