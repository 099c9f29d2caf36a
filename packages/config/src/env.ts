import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

/** Conversion jobs one analytics worker processes at once unless ANALYTICS_CONCURRENCY says otherwise. */
export const DEFAULT_ANALYTICS_CONCURRENCY = 64
/** A conversions job's first retry waits this long unless ANALYTICS_RETRY_DELAY_MS says otherwise; each further one twice as long. */
export const DEFAULT_RETRY_DELAY_MS = 1000
/** The longest wait between two attempts of a conversions job unless ANALYTICS_RETRY_MAX_DELAY_MS says otherwise. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 60_000

/** Conversion queue shards unless CONVERSION_QUEUE_SHARDS says otherwise, and the most it may say. */
export const DEFAULT_CONVERSION_QUEUE_SHARDS = 4
export const MAX_CONVERSION_QUEUE_SHARDS = 64

const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback })

/** The environment contract every service shares (README: "Configuration"). */
export const Env = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** One Redis (the default). Ignored, and not needed, when REDIS_CLUSTER_NODES is set. */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /**
   * `host:port[,host:port…]`: seed nodes of a Redis Cluster. When set, every service connects to
   * the cluster through them (ioredis's Cluster client) and REDIS_URL is ignored.
   */
  REDIS_CLUSTER_NODES: Type.Optional(Type.String()),
  /**
   * Conversion batches are spread over this many BullMQ queues (shards), each under a hash tag of
   * its own, so that on a cluster they land on different masters (each master an equal share).
   */
  CONVERSION_QUEUE_SHARDS: Type.Integer({ minimum: 1, maximum: MAX_CONVERSION_QUEUE_SHARDS, default: DEFAULT_CONVERSION_QUEUE_SHARDS }),
  /**
   * A conversion batch, a new assignment and a lifecycle change are acknowledged only after their
   * write reached this many Redis replicas (WAIT); 0 acknowledges once the master has it.
   */
  REDIS_MIN_REPLICAS_ACK: Type.Integer({ minimum: 0, maximum: 16, default: 0 }),
  /** How long a write waits for REDIS_MIN_REPLICAS_ACK replicas before the request answers 503. */
  REDIS_REPLICA_ACK_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 500 }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_PUBLIC_KEY: Type.Optional(Type.String({ pattern: '-----BEGIN PUBLIC KEY-----' })),
  /**
   * When set, every service's GET /metrics (Prometheus) answers only requests bearing it
   * (`Authorization: Bearer <token>`), others 401; unset, it answers anyone who reaches the port.
   * At least 16 visible ASCII characters (a header value), e.g. `openssl rand -hex 32`.
   */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^[\\x21-\\x7e]+$' })),
  GATEWAY_PORT: Port(3000),
  ASSIGNMENT_PORT: Port(3001),
  /** The analytics worker answers /health and /ready here. */
  ANALYTICS_PORT: Port(3002),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /**
   * Conversion jobs one analytics worker processes at once. Those processed together share one
   * statement, so under load more of them means fewer, larger statements (bench:ingestion (b)).
   */
  ANALYTICS_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: DEFAULT_ANALYTICS_CONCURRENCY }),
  /** Ingestion answers 429 once this many conversion events wait in the queue. */
  INGEST_MAX_BACKLOG: Type.Integer({ minimum: 1, default: 1_000_000 }),
  /** Ingestion answers 429 while Redis uses more memory than this (bytes); 0 turns the check off. */
  INGEST_MAX_REDIS_MEMORY_BYTES: Type.Integer({ minimum: 0, default: 0 }),
  /** Assignment-stream entries left unacknowledged this long by a consumer are taken over (it likely died). */
  STREAM_CLAIM_IDLE_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** How long compute-results waits for the worker before answering 503. */
  COMPUTE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * A conversions job that failed for a reason that may pass (PostgreSQL away, say) is retried
   * after this long, doubled on each further failure up to ANALYTICS_RETRY_MAX_DELAY_MS, for as
   * long as it takes: an acknowledged batch is never given up on.
   */
  ANALYTICS_RETRY_DELAY_MS: Type.Integer({ minimum: 1, maximum: 60_000, default: DEFAULT_RETRY_DELAY_MS }),
  /** The longest wait between two attempts of a conversions job (set below ANALYTICS_RETRY_DELAY_MS, every wait is this long). */
  ANALYTICS_RETRY_MAX_DELAY_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: DEFAULT_RETRY_MAX_DELAY_MS }),
  /**
   * How long a request's Redis command may wait for its answer (gateway and assignment command
   * connections) before the request answers 503: a stalled Redis must not hang requests.
   */
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
})
export type Env = Static<typeof Env>

export class EnvError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid environment:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`)
    this.name = 'EnvError'
  }
}

const secretHint = 'set JWT_SECRET (at least 32 bytes, for HS256) or JWT_PUBLIC_KEY (PEM, for RS256/ES256)'

export type ClusterNode = { host: string; port: number }

/**
 * The seed nodes of REDIS_CLUSTER_NODES (`host:port,host:port`), or what is wrong with the value.
 * IPv6 hosts go in brackets: `[::1]:7000`.
 */
export const parseClusterNodes = (value: string): ClusterNode[] | string => {
  const nodes: ClusterNode[] = []
  const entries = value.split(',')
  for (const [index, raw] of entries.entries()) {
    const entry = raw.trim()
    if (entry === '') return `entry ${index + 1} of ${entries.length} is empty; expected host:port[,host:port…]`
    const match = /^(\[[^\]]+\]|[^:[\]]+):(\d*)$/.exec(entry)
    if (!match) return `"${entry}" has no port; expected host:port`
    const port = Number(match[2])
    if (match[2] === '' || !Number.isInteger(port) || port < 1 || port > 65535) return `"${entry}" has port "${match[2]}"; a port is 1–65535`
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port })
  }
  return nodes
}

/** Where the services' Redis is: one server, or a cluster through its seed nodes. */
export type RedisTarget = { url: string } | { clusterNodes: ClusterNode[] }

/** The Redis of a validated environment (see loadEnv): the cluster when REDIS_CLUSTER_NODES is set. */
export const redisTargetOf = (env: Pick<Env, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>): RedisTarget => {
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    const nodes = parseClusterNodes(env.REDIS_CLUSTER_NODES)
    if (typeof nodes === 'string') throw new EnvError([{ variable: 'REDIS_CLUSTER_NODES', message: nodes }])
    return { clusterNodes: nodes }
  }
  if (env.REDIS_URL === undefined) throw new EnvError([{ variable: 'REDIS_URL', message: 'is required' }])
  return { url: env.REDIS_URL }
}

/** What a service cannot run without, beyond REDIS_URL: `database` (DATABASE_URL) and `jwt` (a verification key). */
export type Needs = { database?: boolean; jwt?: boolean }
/** The parsed environment, with DATABASE_URL known to be present when the service needs it. */
export type EnvFor<N extends Needs> = N extends { database: true } ? Env & { DATABASE_URL: string } : Env

/**
 * Parses and validates the environment once, at boot; throws an EnvError naming each bad variable.
 * Empty strings count as unset, so `FOO= npm start` falls back to the default.
 */
export const loadEnv = <N extends Needs = { database: true; jwt: true }>(
  source: NodeJS.ProcessEnv = process.env,
  needs: N = { database: true, jwt: true } as N,
): EnvFor<N> => {
  const picked: Record<string, unknown> = {}
  for (const name of Object.keys(Env.properties)) {
    const value = source[name]
    if (value !== undefined && value !== '') picked[name] = value
  }
  const candidate = Value.Convert(Env, Value.Default(Env, picked))
  const problems: { variable: string; message: string }[] = []
  for (const error of Value.Errors(Env, candidate)) {
    const variable = variableOf(error.instancePath, error.params)
    if (!problems.some((p) => p.variable === variable)) problems.push({ variable, message: error.message })
  }
  if (picked.REDIS_CLUSTER_NODES !== undefined) {
    const parsed = parseClusterNodes(String(picked.REDIS_CLUSTER_NODES))
    if (typeof parsed === 'string') problems.push({ variable: 'REDIS_CLUSTER_NODES', message: parsed })
  } else if (picked.REDIS_URL === undefined) {
    problems.push({ variable: 'REDIS_URL', message: 'is required (redis://host:6379), unless REDIS_CLUSTER_NODES names a Redis Cluster' })
  }
  if (needs.database && picked.DATABASE_URL === undefined) {
    problems.push({ variable: 'DATABASE_URL', message: 'is required: postgres://user:password@host:5432/database' })
  }
  if (needs.jwt && picked.JWT_SECRET === undefined && picked.JWT_PUBLIC_KEY === undefined) {
    problems.push({ variable: 'JWT_SECRET', message: secretHint })
  }
  if (problems.length > 0) throw new EnvError(problems)
  return candidate as EnvFor<N>
}

const variableOf = (instancePath: string, params: object): string => {
  const fromPath = instancePath.replace(/^\//, '')
  if (fromPath) return fromPath
  const missing = (params as { requiredProperties?: string[] }).requiredProperties
  return missing?.join(', ') ?? '(environment)'
}

/** loadEnv for a process entry point: on bad input, prints which variables are wrong and exits 1. */
export const loadEnvOrExit = <N extends Needs>(needs: N, source: NodeJS.ProcessEnv = process.env): EnvFor<N> => {
  try {
    return loadEnv(source, needs)
  } catch (error) {
    if (!(error instanceof EnvError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}
