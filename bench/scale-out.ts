/**
 * `npm run bench:scale-out`: the services on a Redis Cluster (REDIS_CLUSTER_NODES, 3 masters + 3
 * replicas), each figure against a baseline measured in the same run.
 *
 *  (1) assignments (autocannon, 50 connections, a new user id on every request, as in
 *      bench:assignment) on the cluster against the same services on one redis-server; alternating
 *      rounds, the assignment stream drained into PostgreSQL after each.
 *  (2) conversion ingestion on the cluster, a gateway with CONVERSION_QUEUE_SHARDS=4 against one with
 *      =1: events/s accepted (POST /api/conversions, 100-event batches, 50 connections, the queues
 *      paused and emptied after each round as in bench:ingestion (a)); events/s counted (a backlog
 *      of BENCH_DRAIN_BATCHES batches sent through that gateway while the queues are paused, then
 *      the seconds until the analytics worker, started with the same CONVERSION_QUEUE_SHARDS, has
 *      stored it all in PostgreSQL); and the share of the Redis commands (INFO commandstats, on
 *      each master directly) each master served during the 4-shard rounds.
 *  (3) REDIS_MIN_REPLICAS_ACK=1 against 0 on the cluster, both hot paths: (a) req/s at full load
 *      (closed loop as above); (b) latency at a fixed rate well under capacity (open loop,
 *      BENCH_ASSIGN_RATE assignments/s and BENCH_BATCH_RATE batches/s at once, the worker storing).
 *  (4) failover, REDIS_MIN_REPLICAS_ACK=1, under the open-loop load of (3b): the master of the
 *      experiment's slot is SIGKILLed, a surviving node is asked until another node serves the slot,
 *      then the killed node is started again (as an orchestrator would) and rejoins as a replica;
 *      seconds from the SIGKILL to each, and to both hot paths answering 2xx only again; how many
 *      requests got 503, and that none got anything else.
 *
 * Every configuration runs at once, as processes of its own (idle while another is measured): one
 * gateway, assignment service and analytics worker on one redis-server and a throwaway database;
 * on the cluster and a second throwaway database, one analytics worker (it consumes every shard;
 * restarted for (2b) only) and, per configuration, a gateway and an assignment service. All of it, the cluster included,
 * stops on exit and Ctrl-C. Exits 1 only when the run is invalid (errors, non-2xx answers outside
 * the failover, answers other than 2xx or 503 in it, lost events, a crashed service).
 * BENCH_SECONDS (default 8) sets a measured round; BENCH_PARTS (default 1234) the parts to run
 * (4 always last: it kills a master); BENCH_DRAIN_BATCHES (default 2000), BENCH_ASSIGN_RATE
 * (default 500), BENCH_BATCH_RATE (default 50); BENCH_CPU_PROF=<dir> runs every service with
 * --cpu-prof.
 */
import { randomUUID } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Cluster, Redis } from 'ioredis'
import { assignmentRows, BATCH_SIZE, batchBody, eventBatch, USER_POOL } from './ingestion-lib/events.js'
import { percentile } from './ingestion-lib/percentiles.js'
import { cleanupAll, onCleanup } from './lib/cleanup.js'
import { pidsMatching, startCpuMeter } from './lib/cpu.js'
import { apiCaller, log, profileArgs, requireBuilt, ROOT, runBenchmark } from './lib/harness.js'
import { postRound, startOpenLoop, type OpenLoopAnswer, type RoundResult } from './lib/load.js'
import { assertAllAlive, startChild, waitForReady, type Child } from './lib/processes.js'
import { avg, cpuText, meanCpu, type Round } from './lib/report.js'
import { addCallsBetween, hasReplicaOnline, mastersAmong, shares, slotOwnerPort, snapshotCalls, type Calls } from './scale-out-lib/cluster.js'

const ENTRIES = { gateway: 'apps/gateway/dist/server.js', assignment: 'apps/assignment/dist/server.js', analytics: 'apps/analytics/dist/main.js' }
const CONNECTIONS = 50
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const WARMUP_SECONDS = 2
const ROUNDS = 2
const DRAIN_BATCHES = Number(process.env.BENCH_DRAIN_BATCHES ?? 2000)
const RATE = { assignments: Number(process.env.BENCH_ASSIGN_RATE ?? 500), batches: Number(process.env.BENCH_BATCH_RATE ?? 50) }
/** Failover: load before the kill; 2xx only for this long counts as recovered; the most it may take after the rejoin; a request unanswered this long hangs. */
const FAILOVER = { steadyS: 5, calmS: 3, recoverS: 60, promoteS: 30, requestTimeoutMs: 10_000 }
const NODE_TIMEOUT_MS = 2000
const TARGET = { clusterRatio: 0.8, masterShare: 0.5 }
const TENANT = 'bench'
const PARTS = new Set(process.env.BENCH_PARTS ?? '1234')
if (PARTS.size === 0 || [...PARTS].some((part) => !'1234'.includes(part))) {
  console.error(`[bench] BENCH_PARTS=${process.env.BENCH_PARTS} names no part or an unknown one: use digits of 1234`)
  process.exit(1)
}

requireBuilt(Object.values(ENTRIES))
// Imported only now: they resolve to the workspace packages' dist.
const { benchDatabaseBeside, benchRedisCluster, benchStack } = await import('./lib/stack.js')
const { drainSeconds } = await import('./ingestion-lib/worker-throughput.js')
const { freePort, signToken } = await import('@experiments/devstack')
const { conversionShards, QUEUE, redisKeys } = await import('@experiments/contracts')
const { keySlot } = await import('@experiments/redis')
const { DEFAULT_ANALYTICS_CONCURRENCY } = await import('@experiments/config')
const WORKER_CONCURRENCY = Number(process.env.ANALYTICS_CONCURRENCY ?? DEFAULT_ANALYTICS_CONCURRENCY)
const { Queue } = await import('bullmq')
const { default: pg } = await import('pg')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const ms = (x: number) => `${x.toFixed(1)} ms`
const s = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
const totalUs = (cpu: Record<string, number>) => Object.values(cpu).reduce((sum, us) => sum + us, 0)
const cpuLine = (cpu: Record<string, number>) => `${cpuText(cpu)} (all ${Math.round(totalUs(cpu))})`
const fmt = (r: Pick<RoundResult, 'rps' | 'p50' | 'p99'>, perRequest = 1) =>
  `${Math.round(r.rps)} req/s${perRequest > 1 ? ` (${Math.round(r.rps * perRequest)} events/s)` : ''}  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}`
const averageCpu = (cpus: Record<string, number>[]) =>
  Object.fromEntries(Object.keys(cpus[0]!).map((name) => [name, mean(cpus.map((cpu) => cpu[name] ?? NaN))]))
const shareText = (shares: Record<string, number>) =>
  Object.entries(shares)
    .map(([name, percent]) => `${name} ${percent.toFixed(0)}`)
    .join(', ')
/** The CPU of every process per request, `a`'s over `b`'s (means over rounds). */
const cpuRatio = (a: Round[], b: Round[]) => (totalUs(meanCpu(a)) / totalUs(meanCpu(b))).toFixed(3)
/** `b / a` of req/s for each pair of rounds, in the order they were measured. */
const pairRatios = (a: Round[], b: Round[]) => a.map((r, i) => (b[i]!.rps / r.rps).toFixed(3)).join(', ')
const is2xx = (a: OpenLoopAnswer) => a.status >= 200 && a.status < 300

// A crash outside main's try (an unhandled rejection) must still stop the cluster and drop the databases.
process.once('unhandledRejection', (error) => {
  console.error(`[bench] unhandled rejection: ${(error as Error)?.stack ?? error}`)
  void cleanupAll().finally(() => process.exit(1))
})

await runBenchmark(main)

async function main() {
  const started = performance.now()
  const need = { single: PARTS.has('1'), oneShard: PARTS.has('2'), k0: PARTS.has('1') || PARTS.has('3'), k1: PARTS.has('3') || PARTS.has('4') }
  const { database, redisServer, secret, serviceEnv, tmp } = await benchStack('scale-out')
  const clusterDb = await benchDatabaseBeside(database.url)
  const cluster = await benchRedisCluster(tmp, NODE_TIMEOUT_MS)
  log(`redis cluster: ${cluster.seeds} (3 masters + 3 replicas, cluster-node-timeout ${NODE_TIMEOUT_MS} ms, no persistence); its services use ${clusterDb}`)
  const token = signToken(secret, { tenantId: TENANT, scope: 'experiments:read experiments:write assignments:write events:write', ttlSeconds: 3600 })
  const base = (port: number) => `http://127.0.0.1:${port}`

  const children: Child[] = []
  type Service = { name: string; url: string; pid: () => number | undefined; child: Child }
  const startService = async (name: string, kind: keyof typeof ENTRIES, extra: NodeJS.ProcessEnv = {}): Promise<Service> => {
    const port = await freePort()
    // (2) and (3a) queue every accepted batch without draining it: the backpressure limit must not answer 429.
    const env = serviceEnv({ [kind]: port }, { INGEST_MAX_BACKLOG: String(1e12), ...extra })
    const child = startChild(name, [...profileArgs(), join(ROOT, ENTRIES[kind])], env)
    children.push(child)
    await waitForReady(child, `${base(port)}/ready`)
    return { name, url: base(port), pid: () => child.process.pid, child }
  }
  const onCluster = (extra: NodeJS.ProcessEnv) => ({ REDIS_CLUSTER_NODES: cluster.seeds, DATABASE_URL: clusterDb, ...extra })
  const k0 = { REDIS_MIN_REPLICAS_ACK: '0' }
  const k1 = { REDIS_MIN_REPLICAS_ACK: '1' }
  const optional = <T>(wanted: boolean, start: () => Promise<T>) => (wanted ? start() : Promise.resolve(undefined))

  // Each stack's first gateway migrates its database; then its analytics worker (it sets the marker
  // the assignment service waits for after Redis lost data); then the rest.
  const [gatewaySingle, gateway4] = await Promise.all([
    optional(need.single, () => startService('gateway/one-redis', 'gateway')),
    startService('gateway/cluster-4-shards', 'gateway', onCluster({ ...k0, CONVERSION_QUEUE_SHARDS: '4' })),
  ])
  const [analyticsSingle, firstAnalyticsCluster] = await Promise.all([
    optional(need.single, () => startService('analytics/one-redis', 'analytics')),
    startService('analytics/cluster', 'analytics', onCluster({ CONVERSION_QUEUE_SHARDS: '4' })),
  ])
  const [assignmentSingle, assignmentK0, assignmentK1, gateway1, gateway4K1] = await Promise.all([
    optional(need.single, () => startService('assignment/one-redis', 'assignment')),
    optional(need.k0, () => startService('assignment/cluster', 'assignment', onCluster(k0))),
    optional(need.k1, () => startService('assignment/cluster-acks-1', 'assignment', onCluster(k1))),
    optional(need.oneShard, () => startService('gateway/cluster-1-shard', 'gateway', onCluster({ ...k0, CONVERSION_QUEUE_SHARDS: '1' }))),
    optional(need.k1, () => startService('gateway/cluster-4-shards-acks-1', 'gateway', onCluster({ ...k1, CONVERSION_QUEUE_SHARDS: '4' }))),
  ])
  const assertAlive = () => assertAllAlive(children)
  /**
   * The cluster's analytics worker, with CONVERSION_QUEUE_SHARDS as the gateway measured: the
   * worker divides ANALYTICS_CONCURRENCY among its own shards (a shard found in the registry gets
   * as much as one of them), so only a worker configured for 1 shard drains the 1-shard gateway's
   * backlog as a 1-shard deployment would.
   */
  let analyticsCluster = firstAnalyticsCluster
  let analyticsShards = 4
  const useAnalyticsShards = async (shardCount: number) => {
    if (analyticsShards === shardCount) return
    const { child } = analyticsCluster
    const exited = new Promise((resolve) => child.process.once('exit', resolve))
    child.process.kill('SIGTERM')
    const killer = setTimeout(() => child.process.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(killer)
    children.splice(children.indexOf(child), 1)
    analyticsCluster = await startService(
      `analytics/cluster-${shardCount}-shard${shardCount > 1 ? 's' : ''}`,
      'analytics',
      onCluster({ CONVERSION_QUEUE_SHARDS: String(shardCount) }),
    )
    analyticsShards = shardCount
  }

  const call = apiCaller(token)
  const newExperiment = async (gateway: Service, name: string) => {
    const created = await call('POST', `${gateway.url}/api/experiments`, {
      name,
      variants: [
        { name: 'control', splitPercentage: 50 },
        { name: 'treatment', splitPercentage: 50 },
      ],
    })
    const id = String(created.id)
    await call('POST', `${gateway.url}/api/experiments/${id}/start`)
    return { id, variants: (created.variants as { id: string }[]).map((v) => v.id) as [string, string] }
  }
  const experimentSingle = gatewaySingle && (await newExperiment(gatewaySingle, 'scale-out assignments (one redis)'))
  const experimentA = await newExperiment(gateway4, 'scale-out assignments (cluster)')
  const experimentC = await newExperiment(gateway4, 'scale-out conversions (cluster)')
  const assignUrl = (service: Service, experimentId: string) => `${service.url}/api/experiments/${experimentId}/assignments`
  for (const [service, experiment] of [
    [assignmentSingle, experimentSingle],
    [assignmentK0, experimentA],
    [assignmentK1, experimentA],
  ] as const) {
    if (!service || !experiment) continue
    const probe = await call('POST', assignUrl(service, experiment.id), { userId: `probe-${service.name}` })
    if (probe.reason !== 'assigned') throw new Error(`probe assignment on ${service.name} answered ${JSON.stringify(probe)}`)
  }

  const single = new Redis(redisServer.url)
  onCleanup('bench redis client', () => single.quit())
  const redis = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: null } })
  redis.on('error', () => {})
  onCleanup('bench cluster client', async () => redis.disconnect())
  await redis.ping()
  const db = new pg.Client({ connectionString: clusterDb })
  await db.connect()
  onCleanup('bench pg client', () => db.end())
  // Half of the conversions' users are assigned, as in bench:ingestion: the worker attributes those.
  const assigned = assignmentRows(experimentC.variants)
  await db.query(
    `insert into assignments (experiment_id, user_id, variant_id, assigned_at)
     select $1, u, v, now() - interval '1 day' from unnest($2::text[], $3::text[]) as t(u, v)`,
    [experimentC.id, assigned.users, assigned.variants],
  )

  // The bench's handle on every shard's queue (4 shards, and the 1-shard gateway's), to pause, resume, count and empty them.
  const shardsOf = { 4: conversionShards(4), 1: conversionShards(1) }
  const shards = [...shardsOf[4], ...shardsOf[1]].map((shard) => ({ shard, queue: new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix }) }))
  const queues = shards.map(({ queue }) => queue)
  const queuesOf = { 4: queues.slice(0, 4), 1: queues.slice(4) }
  onCleanup('bench queues', () => Promise.all(queues.map((queue) => queue.close())))
  const pauseQueues = () => Promise.all(queues.map((queue) => queue.pause()))
  const resumeQueues = () => Promise.all(queues.map((queue) => queue.resume()))
  // autocannon stops without waiting for answers in flight: let the gateway enqueue those first.
  const emptyQueues = async () => {
    await sleep(1000)
    for (const { shard, queue } of shards) {
      await queue.drain(true)
      await redis.set(shard.backlogKey, 0)
    }
  }
  const masterOf = (key: string) => redis.slots[keySlot(key)]?.[0] ?? '?'
  log(
    `experiments: assignments ${experimentA.id} (its slot on ${masterOf(redisKeys.status(experimentA.id))}), conversions ${experimentC.id} (${masterOf(redisKeys.status(experimentC.id))}), ${assigned.users.length} of ${USER_POOL} conversion users assigned`,
  )
  log(
    `conversion shards: ${Object.entries(shardsOf)
      .flatMap(([n, list]) => list.map((shard) => `${n}-shard ${shard.prefix} → ${masterOf(shard.backlogKey)}`))
      .join(', ')}`,
  )

  const conversionsStored = async () =>
    (await db.query<{ n: number }>('select count(*)::int as n from conversions where experiment_id = $1', [experimentC.id])).rows[0]!.n
  const waitFor = async (what: string, done: () => Promise<boolean>, timeoutS: number) => {
    const start = performance.now()
    while (!(await done())) {
      if (performance.now() - start > timeoutS * 1000) throw new Error(`${what}: not within ${timeoutS} s`)
      await sleep(50)
    }
    return (performance.now() - start) / 1000
  }
  // Each gateway's path to PostgreSQL works, and the worker consumes the 1-shard gateway's shard (it
  // finds it in the shard registry, read every 5 s), before anything is measured.
  for (const gateway of [gateway4, gateway1, gateway4K1]) {
    if (!gateway) continue
    const before = await conversionsStored()
    await call('POST', `${gateway.url}/api/conversions`, { events: eventBatch(experimentC.id) })
    await waitFor(`a batch through ${gateway.name} to be stored`, async () => (await conversionsStored()) === before + BATCH_SIZE, 60)
  }

  // CPU per answered request (or stored event), per process.
  type Pids = () => (number | undefined)[]
  const mastersNow = async () => {
    const masters = await mastersAmong(cluster.processes.map((p) => p.port))
    if (masters.length !== 3) throw new Error(`the cluster has ${masters.length} masters, not 3: ${masters.join(', ')}`)
    return new Set(masters)
  }
  let masterPorts = await mastersNow()
  const redisNodes =
    (masters: boolean): Pids =>
    () =>
      cluster.processes.filter((p) => masterPorts.has(p.port) === masters).map((p) => p.pid)
  const backendsOf = (url: string): Pids => {
    const name = new URL(url).pathname.slice(1)
    // The title may carry a cluster name first ("postgres: 15/main: postgres bench_…").
    return () => pidsMatching(new RegExp(`^postgres: (?:\\S+: )?\\S+ ${name} `))
  }
  const loadGenerator: Pids = () => [process.pid]
  const clusterRedis = { 'redis masters': redisNodes(true), 'redis replicas': redisNodes(false) }
  const clusterCpu = (service: Service): Record<string, Pids> => ({
    [service.name]: () => [service.pid()],
    ...clusterRedis,
    'analytics worker': () => [analyticsCluster.pid()],
    postgres: backendsOf(clusterDb),
    'load generator': loadGenerator,
  })

  const failures: string[] = []
  const countFailures = (label: string, r: RoundResult) => {
    const failed = r.non2xx + r.errors + r.timeouts
    if (failed > 0) failures.push(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts)`)
  }

  /** One closed-loop round against a target, with the CPU each process used per answered request. */
  type Target = { label: string; round: (seconds: number, measured: boolean) => Promise<Round> }
  const closedRound = async (url: string, body: () => string, cpu: Record<string, Pids>, seconds: number): Promise<Round> => {
    const stopMeter = startCpuMeter(cpu)
    const result = await postRound({ url, token, seconds, connections: CONNECTIONS, body })
    const used = stopMeter(result.completed)
    assertAlive()
    return { ...result, cpu: used }
  }
  const drainedWithin = async (label: string, xlen: () => Promise<number>) =>
    waitFor(`${label}: the assignment stream to drain into PostgreSQL`, async () => (await xlen()) === 0, 120)
  const assignmentTarget = (label: string, service: Service, experimentId: string, cpu: Record<string, Pids>, client: Redis | Cluster): Target => ({
    label,
    round: async (seconds) => {
      // A never-seen user id on every request: each one is a new assignment.
      const round = await closedRound(assignUrl(service, experimentId), () => JSON.stringify({ userId: randomUUID() }), cpu, seconds)
      // The next round starts once PostgreSQL holds these, as in bench:assignment.
      await drainedWithin(label, () => client.xlen(redisKeys.assignmentStream(experimentId)))
      return round
    },
  })
  /** Conversions at full load, the queues paused (the worker idle) and emptied after the round; with `calls`, each master's commands in measured rounds added to it. */
  const conversionTarget = (label: string, gateway: Service, calls?: Calls): Target => ({
    label,
    round: async (seconds, measured) => {
      await pauseQueues()
      const ports = [...masterPorts]
      const before = calls && measured ? await snapshotCalls(ports) : undefined
      const round = await closedRound(`${gateway.url}/api/conversions`, () => batchBody(eventBatch(experimentC.id)), clusterCpu(gateway), seconds)
      if (before) {
        await sleep(1000)
        addCallsBetween(calls!, before, await snapshotCalls(ports))
      }
      await emptyQueues()
      return round
    },
  })
  /**
   * Warm-up rounds, then ROUNDS rounds of each target in turn, every other turn in reverse order (A B
   * B A …), so that a machine slowing down or speeding up during the part favours neither.
   */
  const alternate = async (targets: Target[], unit = 'request', perRequest = 1) => {
    for (const target of targets) countFailures(`${target.label} warm-up`, await target.round(WARMUP_SECONDS, false))
    const rounds = targets.map((): Round[] => [])
    for (let i = 1; i <= ROUNDS; i++) {
      const order = [...targets.entries()]
      for (const [j, target] of i % 2 === 1 ? order : order.reverse()) {
        const round = await target.round(SECONDS, true)
        countFailures(`${target.label} #${i}`, round)
        rounds[j]!.push(round)
        log(`${`${target.label} #${i}:`.padEnd(30)}${fmt(round, perRequest)}  CPU µs/${unit}: ${cpuLine(round.cpu)}`)
      }
    }
    return rounds
  }

  type Part = { report: string; pass: boolean; invalid: (string | false | 0)[] }

  // ---------------------------------------------------------------- (1) one redis against the cluster
  const clusterAgainstOne = async (): Promise<Part> => {
    log(
      `(1) assignments, one redis-server against the cluster; ${CONNECTIONS} connections, warm-up ${WARMUP_SECONDS} s each, then ${ROUNDS} × ${SECONDS} s rounds`,
    )
    const singleCpu: Record<string, Pids> = {
      [assignmentSingle!.name]: () => [assignmentSingle!.pid()],
      redis: () => [redisServer.pid],
      'analytics worker': () => [analyticsSingle!.pid()],
      postgres: backendsOf(database.url),
      'load generator': loadGenerator,
    }
    const [one, clustered] = await alternate([
      assignmentTarget('one redis', assignmentSingle!, experimentSingle!.id, singleCpu, single),
      assignmentTarget('cluster', assignmentK0!, experimentA.id, clusterCpu(assignmentK0!), redis),
    ])
    const a = { one: avg(one!), cluster: avg(clustered!) }
    const ratio = a.cluster.rps / a.one.rps
    const pass = ratio >= TARGET.clusterRatio
    const cpu = { one: meanCpu(one!), cluster: meanCpu(clustered!) }
    const withoutReplicas = totalUs(cpu.cluster) - (cpu.cluster['redis replicas'] ?? 0)
    return {
      pass,
      invalid: [],
      report: `(1) assignments (a new user id per request), ${CONNECTIONS} connections, mean of ${ROUNDS} × ${SECONDS} s rounds each
    one redis:  ${fmt(a.one)}
    cluster:    ${fmt(a.cluster)}   (3 masters + 3 replicas; one experiment's keys live on one master)
    CPU µs per request: one redis: ${cpuLine(cpu.one)}
                        cluster:   ${cpuLine(cpu.cluster)}
    CPU of every process above, one redis µs / cluster µs: ${(totalUs(cpu.one) / totalUs(cpu.cluster)).toFixed(3)} (the req/s ratio when the ${availableParallelism()} shared cores are the limit; ${(totalUs(cpu.one) / withoutReplicas).toFixed(3)} without the replicas)
    ratio cluster / one redis req/s per pair of rounds: ${pairRatios(one!, clustered!)}
    ratio cluster / one redis req/s: ${ratio.toFixed(3)}   target ≥ ${TARGET.clusterRatio}: ${verdict(pass)}`,
    }
  }

  // ---------------------------------------------------------------- (2) 4 shards against 1
  const shardsAgainstOne = async (): Promise<Part> => {
    masterPorts = await mastersNow()
    log(
      `(2a) accepted: POST /api/conversions, ${BATCH_SIZE} events per request, ${CONNECTIONS} connections, queues paused; warm-up ${WARMUP_SECONDS} s each, then ${ROUNDS} × ${SECONDS} s rounds`,
    )
    const acceptCalls = { 4: new Map() as Calls, 1: new Map() as Calls }
    const [four, one] = await alternate(
      [conversionTarget('4 shards', gateway4, acceptCalls[4]), conversionTarget('1 shard', gateway1!, acceptCalls[1])],
      'batch',
      BATCH_SIZE,
    )

    log(
      `(2b) counted: ${DRAIN_BATCHES} batches (${DRAIN_BATCHES * BATCH_SIZE} events) through the gateway with the queues paused, then the worker (with the gateway's CONVERSION_QUEUE_SHARDS) stores them; ${ROUNDS} rounds each`,
    )
    const countedCalls = new Map() as Calls
    let lostEvents = 0
    const countedRound = async (label: string, gateway: Service, shardCount: 4 | 1, calls?: Calls) => {
      await useAnalyticsShards(shardCount)
      await pauseQueues()
      const storedBefore = await conversionsStored()
      const ports = [...masterPorts]
      const before = calls ? await snapshotCalls(ports) : undefined
      // `amount`: the round ends once every batch was answered, so every accepted job is in Redis.
      const fill = await postRound({
        url: `${gateway.url}/api/conversions`,
        token,
        seconds: SECONDS,
        connections: CONNECTIONS,
        body: () => batchBody(eventBatch(experimentC.id)),
        amount: DRAIN_BATCHES,
      })
      countFailures(`${label} (counted) backlog`, fill)
      const events = fill.ok * BATCH_SIZE
      const meter = startCpuMeter({ 'analytics worker': () => [analyticsCluster.pid()], postgres: backendsOf(clusterDb), ...clusterRedis })
      // Resumes the gateway's shards and polls their job counts (every 20 ms, the others stay empty).
      const seconds = await drainSeconds(queuesOf[shardCount])
      const cpu = meter(events)
      if (before) addCallsBetween(calls!, before, await snapshotCalls(ports))
      assertAlive()
      const stored = (await conversionsStored()) - storedBefore
      lostEvents += events - stored
      log(
        `${`${label} (counted):`.padEnd(30)}${Math.round(events / seconds)} events/s stored (${stored} of ${events} in ${seconds.toFixed(2)} s; backlog sent at ${Math.round(fill.rps * BATCH_SIZE)} events/s)  CPU µs/event: ${cpuLine(cpu)}`,
      )
      return { rate: events / seconds, cpu }
    }
    const counted = { 4: [] as { rate: number; cpu: Record<string, number> }[], 1: [] as { rate: number; cpu: Record<string, number> }[] }
    for (let i = 1; i <= ROUNDS; i++) {
      const turns = [
        async () => counted[4].push(await countedRound(`4 shards #${i}`, gateway4, 4, countedCalls)),
        async () => counted[1].push(await countedRound(`1 shard #${i}`, gateway1!, 1)),
      ]
      for (const turn of i % 2 === 1 ? turns : turns.reverse()) await turn()
    }
    await useAnalyticsShards(4)
    await resumeQueues()

    const a = { four: avg(four!), one: avg(one!) }
    const b = { four: mean(counted[4].map((r) => r.rate)), one: mean(counted[1].map((r) => r.rate)) }
    const accept4 = shares(acceptCalls[4])
    const accept1 = shares(acceptCalls[1])
    const counted4 = shares(countedCalls)
    const pass = accept4.max <= TARGET.masterShare
    return {
      pass,
      invalid: [lostEvents && `${lostEvents} events of (2b) accepted and not stored`],
      report: `(2) conversions on the cluster, CONVERSION_QUEUE_SHARDS=4 against =1 (a gateway each; the analytics worker consumes every shard, and has the gateway's setting in (b))
    (a) accepted, ${BATCH_SIZE} events per request, ${CONNECTIONS} connections, queues paused, mean of ${ROUNDS} × ${SECONDS} s rounds each:
    4 shards: ${fmt(a.four, BATCH_SIZE)}
    1 shard:  ${fmt(a.one, BATCH_SIZE)}
    CPU µs per request: 4 shards: ${cpuLine(meanCpu(four!))}
                        1 shard:  ${cpuLine(meanCpu(one!))}
    CPU of every process above, 1 shard µs / 4 shards µs: ${cpuRatio(one!, four!)}; ratio per pair of rounds: ${pairRatios(one!, four!)}
    ratio 4 shards / 1 shard, events/s accepted: ${(a.four.rps / a.one.rps).toFixed(3)}
    (b) counted: ${DRAIN_BATCHES} batches sent through the gateway (queues paused), then until the worker stored them (the worker with the gateway's
        CONVERSION_QUEUE_SHARDS: its ANALYTICS_CONCURRENCY, ${WORKER_CONCURRENCY}, is shared among its shards), mean of ${ROUNDS} rounds each:
    4 shards: ${Math.round(b.four)} events/s   CPU µs/event: ${cpuLine(averageCpu(counted[4].map((r) => r.cpu)))}
    1 shard:  ${Math.round(b.one)} events/s   CPU µs/event: ${cpuLine(averageCpu(counted[1].map((r) => r.cpu)))}
    ratio 4 shards / 1 shard, events/s counted: ${(b.four / b.one).toFixed(3)}
    Redis commands per master (INFO commandstats, scripts' commands included):
      4-shard accept rounds:  ${accept4.rows.map((r) => r.text).join('; ')}
      1-shard accept rounds:  ${accept1.rows.map((r) => r.text).join('; ')}
      4-shard counted rounds (backlog sent + stored): ${counted4.rows.map((r) => r.text).join('; ')}
    busiest master's share in the 4-shard accept rounds: ${(accept4.max * 100).toFixed(1)} % (counted rounds: ${(counted4.max * 100).toFixed(1)} %)   target ≤ ${TARGET.masterShare * 100} %: ${verdict(pass)}`,
    }
  }

  // ---------------------------------------------------------------- (3) REDIS_MIN_REPLICAS_ACK=1 against 0
  type OpenStats = { n: number; rate: number; p50: number; p99: number; max: number; failed: number }
  const openStats = (runs: { answers: OpenLoopAnswer[]; seconds: number }[]): OpenStats => {
    const answers = runs.flatMap((r) => r.answers)
    const okMs = answers.filter(is2xx).map((a) => a.ms)
    return {
      n: answers.length,
      rate: answers.length / runs.reduce((sum, r) => sum + r.seconds, 0),
      p50: percentile(okMs, 0.5),
      p99: percentile(okMs, 0.99),
      max: Math.max(...answers.map((a) => a.ms)),
      failed: answers.filter((a) => !is2xx(a)).length,
    }
  }
  const openText = (o: OpenStats) => `p50 ${ms(o.p50)}  p99 ${ms(o.p99)}  max ${ms(o.max)}  (${o.n} requests, ${o.rate.toFixed(0)}/s)`

  const replicaAcks = async (): Promise<Part> => {
    masterPorts = await mastersNow()
    log(`(3a) full load, closed loop, ${CONNECTIONS} connections; warm-up ${WARMUP_SECONDS} s each, then ${ROUNDS} × ${SECONDS} s rounds`)
    const [assignK0, assignK1] = await alternate([
      assignmentTarget('assignments K=0', assignmentK0!, experimentA.id, clusterCpu(assignmentK0!), redis),
      assignmentTarget('assignments K=1', assignmentK1!, experimentA.id, clusterCpu(assignmentK1!), redis),
    ])
    const [convK0, convK1] = await alternate(
      [conversionTarget('conversions K=0', gateway4), conversionTarget('conversions K=1', gateway4K1!)],
      'batch',
      BATCH_SIZE,
    )

    log(
      `(3b) open loop, ${RATE.assignments} assignments/s and ${RATE.batches} batches/s (${RATE.batches * BATCH_SIZE} events/s) at once, worker storing; ${ROUNDS} × ${SECONDS} s rounds each`,
    )
    await resumeQueues()
    const openRound = async (label: string, assignment: Service, gateway: Service, seconds: number, measured = true) => {
      const meters = {
        assignment: startCpuMeter({ [assignment.name]: () => [assignment.pid()] }),
        gateway: startCpuMeter({ [gateway.name]: () => [gateway.pid()] }),
        busy: startCpuMeter({
          ...clusterRedis,
          'analytics worker': () => [analyticsCluster.pid()],
          postgres: backendsOf(clusterDb),
          'load generator': loadGenerator,
        }),
      }
      // A late answer may be the load generator's own: how long its event loop was held up.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 })
      loopDelay.enable()
      const loops = {
        assignments: startOpenLoop({
          url: assignUrl(assignment, experimentA.id),
          token,
          perSecond: RATE.assignments,
          body: () => JSON.stringify({ userId: randomUUID() }),
        }),
        conversions: startOpenLoop({
          url: `${gateway.url}/api/conversions`,
          token,
          perSecond: RATE.batches,
          body: () => batchBody(eventBatch(experimentC.id)),
        }),
      }
      await sleep(seconds * 1000)
      const [a, c] = await Promise.all([loops.assignments.stop(), loops.conversions.stop()])
      loopDelay.disable()
      assertAlive()
      const cpu = {
        perAssignment: meters.assignment(a.answers.length)[assignment.name]!,
        perBatch: meters.gateway(c.answers.length)[gateway.name]!,
        // µs per ms of the round: a tenth of a percent of a core.
        shareOfCore: Object.fromEntries(Object.entries(meters.busy(c.seconds * 1000)).map(([name, us]) => [name, us / 10])),
      }
      const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 }
      const [as, cs] = [openStats([a]), openStats([c])]
      for (const [what, o] of [
        ['assignments', as],
        ['conversions', cs],
      ] as const) {
        if (o.failed > 0) failures.push(`${label}${measured ? '' : ' warm-up'} ${what}: ${o.failed} of ${o.n} not 2xx`)
      }
      if (measured) {
        log(`${label}: assignments ${openText(as)}; conversions ${openText(cs)}`)
        log(
          `  CPU ${assignment.name} ${Math.round(cpu.perAssignment)} µs/assignment, ${gateway.name} ${Math.round(cpu.perBatch)} µs/batch; % of a core: ${shareText(cpu.shareOfCore)}; load generator event-loop delay p99 ${ms(delay.p99)}, max ${ms(delay.max)}`,
        )
      }
      await drainedWithin(label, () => redis.xlen(redisKeys.assignmentStream(experimentA.id)))
      return { a, c, cpu, delay }
    }
    // Warm-up: new connections, and the code paths of a low rate.
    await openRound('K=0', assignmentK0!, gateway4, WARMUP_SECONDS, false)
    await openRound('K=1', assignmentK1!, gateway4K1!, WARMUP_SECONDS, false)
    const open = { k0: [] as Awaited<ReturnType<typeof openRound>>[], k1: [] as Awaited<ReturnType<typeof openRound>>[] }
    for (let i = 1; i <= ROUNDS; i++) {
      const turns = [
        async () => open.k0.push(await openRound(`K=0 #${i}`, assignmentK0!, gateway4, SECONDS)),
        async () => open.k1.push(await openRound(`K=1 #${i}`, assignmentK1!, gateway4K1!, SECONDS)),
      ]
      for (const turn of i % 2 === 1 ? turns : turns.reverse()) await turn()
    }
    const pooled = (runs: typeof open.k0) => ({ assignments: openStats(runs.map((r) => r.a)), conversions: openStats(runs.map((r) => r.c)) })
    const o = { k0: pooled(open.k0), k1: pooled(open.k1) }
    const perRequest = (runs: typeof open.k0, which: 'perAssignment' | 'perBatch') => Math.round(mean(runs.map((r) => r.cpu[which])))
    const worstDelay = (runs: typeof open.k0) => ({ p99: Math.max(...runs.map((r) => r.delay.p99)), max: Math.max(...runs.map((r) => r.delay.max)) })
    const a = { assignK0: avg(assignK0!), assignK1: avg(assignK1!), convK0: avg(convK0!), convK1: avg(convK1!) }
    return {
      pass: true,
      invalid: [],
      report: `(3) REDIS_MIN_REPLICAS_ACK=1 (K=1) against 0 on the cluster (each write's WAIT for 1 replica, timeout 500 ms)
    (a) full load, ${CONNECTIONS} connections, mean of ${ROUNDS} × ${SECONDS} s rounds each:
    assignments K=0: ${fmt(a.assignK0)}   CPU µs/request: ${cpuLine(meanCpu(assignK0!))}
    assignments K=1: ${fmt(a.assignK1)}   CPU µs/request: ${cpuLine(meanCpu(assignK1!))}
    conversions K=0: ${fmt(a.convK0, BATCH_SIZE)}   CPU µs/request: ${cpuLine(meanCpu(convK0!))}
    conversions K=1: ${fmt(a.convK1, BATCH_SIZE)}   CPU µs/request: ${cpuLine(meanCpu(convK1!))}
    CPU of every process above, K=0 µs / K=1 µs: assignments ${cpuRatio(assignK0!, assignK1!)}, conversions ${cpuRatio(convK0!, convK1!)} (the req/s ratio when the ${availableParallelism()} shared cores are the limit)
    ratio K=1 / K=0 req/s per pair of rounds: assignments ${pairRatios(assignK0!, assignK1!)}; conversions ${pairRatios(convK0!, convK1!)}
    ratio K=1 / K=0 req/s: assignments ${(a.assignK1.rps / a.assignK0.rps).toFixed(3)}, conversions ${(a.convK1.rps / a.convK0.rps).toFixed(3)}
    (b) open loop, ${RATE.assignments} assignments/s and ${RATE.batches} batches/s at once (latency from send to the whole answer, 2xx only), ${ROUNDS} × ${SECONDS} s pooled:
    assignments K=0: ${openText(o.k0.assignments)}
    assignments K=1: ${openText(o.k1.assignments)}
    conversions K=0: ${openText(o.k0.conversions)}
    conversions K=1: ${openText(o.k1.conversions)}
    p50 K=1 − K=0: assignments ${ms(o.k1.assignments.p50 - o.k0.assignments.p50)}, conversions ${ms(o.k1.conversions.p50 - o.k0.conversions.p50)}; p99: ${ms(o.k1.assignments.p99 - o.k0.assignments.p99)}, ${ms(o.k1.conversions.p99 - o.k0.conversions.p99)}
    CPU in (b), K=0 / K=1: assignment service ${perRequest(open.k0, 'perAssignment')} / ${perRequest(open.k1, 'perAssignment')} µs per assignment, gateway ${perRequest(open.k0, 'perBatch')} / ${perRequest(open.k1, 'perBatch')} µs per batch
    load generator event-loop delay, worst round: K=0 p99 ${ms(worstDelay(open.k0).p99)} max ${ms(worstDelay(open.k0).max)}, K=1 p99 ${ms(worstDelay(open.k1).p99)} max ${ms(worstDelay(open.k1).max)} (an answer is seen that much late)`,
    }
  }

  // ---------------------------------------------------------------- (4) failover
  const failover = async (): Promise<Part> => {
    await resumeQueues()
    const slot = keySlot(redisKeys.status(experimentA.id))
    const owner = redis.slots[slot]?.[0]
    if (!owner) throw new Error(`the cluster client knows no master of slot ${slot}`)
    const port = Number(owner.slice(owner.lastIndexOf(':') + 1))
    const victim = cluster.processes.find((p) => p.port === port)
    if (!victim) throw new Error(`${owner} is not a node of the private cluster`)
    log(
      `(4) failover, K=1: open loop ${RATE.assignments} assignments/s + ${RATE.batches} batches/s on experiment ${experimentA.id}; SIGKILL to its slot's master ${owner} (slot ${slot}) after ${FAILOVER.steadyS} s`,
    )
    const open = (url: string, perSecond: number, body: () => string) => startOpenLoop({ url, token, perSecond, body, timeoutMs: FAILOVER.requestTimeoutMs })
    const loops = {
      assignments: open(assignUrl(assignmentK1!, experimentA.id), RATE.assignments, () => JSON.stringify({ userId: randomUUID() })),
      conversions: open(`${gateway4K1!.url}/api/conversions`, RATE.batches, () => batchBody(eventBatch(experimentA.id))),
    }
    const loopDelay = monitorEventLoopDelay({ resolution: 10 })
    loopDelay.enable()
    await sleep(FAILOVER.steadyS * 1000)
    const killedAt = performance.now()
    victim.kill('SIGKILL')
    // Promoted: a surviving node says another node serves the slot (a node only suspected of
    // failing still holds its slots; starting it again before then would make it the master again, empty).
    const survivor = cluster.nodes.find((node) => node.port !== port)!.port
    for (;;) {
      const now = await slotOwnerPort(survivor, slot).catch(() => undefined)
      if (now !== undefined && now !== port) break
      if (performance.now() - killedAt > FAILOVER.promoteS * 1000) throw new Error(`no replica took over slot ${slot} within ${FAILOVER.promoteS} s`)
      await sleep(50)
    }
    const promotedAt = performance.now()
    const newMaster = (await slotOwnerPort(survivor, slot))!
    log(`replica 127.0.0.1:${newMaster} promoted ${s(promotedAt - killedAt)} after the SIGKILL; starting ${owner} again`)
    // K=1 writes to the promoted master's slots can be confirmed again once it has a replica in sync.
    // (restart() resolves once the cluster looks whole from one node, which may not list the promoted master yet.)
    const watcher = (async () => {
      while (performance.now() - promotedAt < FAILOVER.recoverS * 1000) {
        if (await hasReplicaOnline(newMaster).catch(() => false)) return performance.now()
        await sleep(50)
      }
      return undefined
    })()
    await cluster.restart(port)
    const restartedAt = performance.now()
    const replicaOnlineAt = await watcher
    if (replicaOnlineAt === undefined) throw new Error(`the promoted master 127.0.0.1:${newMaster} had no replica in sync within ${FAILOVER.recoverS} s`)
    const rejoinedAt = replicaOnlineAt
    log(
      `${owner} back as the promoted master's replica, in sync, ${s(rejoinedAt - killedAt)} after the SIGKILL (restart() returned after ${s(restartedAt - killedAt)})`,
    )
    const all = () => [...loops.assignments.answers, ...loops.conversions.answers]
    const lastBadAt = (answers: OpenLoopAnswer[]) => answers.reduce((last, x) => (is2xx(x) ? last : Math.max(last, x.sentAt + x.ms)), killedAt)
    // Load goes on until both hot paths have answered 2xx only for calmS in a row.
    let recovered = true
    while (performance.now() - lastBadAt(all()) < FAILOVER.calmS * 1000) {
      if (performance.now() - rejoinedAt > FAILOVER.recoverS * 1000) {
        recovered = false
        break
      }
      await sleep(200)
    }
    const [a, c] = await Promise.all([loops.assignments.stop(), loops.conversions.stop()])
    loopDelay.disable()
    assertAlive()

    const statusText = (answers: OpenLoopAnswer[]) => {
      const counts = new Map<string, number>()
      for (const x of answers) {
        const key = x.status === 0 ? `no answer (${x.error})` : String(x.status)
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return [...counts]
        .sort()
        .map(([key, n]) => `${key}: ${n}`)
        .join(', ')
    }
    const answeredAt = (x: OpenLoopAnswer) => x.sentAt + x.ms
    const unexpected = [...a.answers, ...c.answers].filter((x) => !is2xx(x) && x.status !== 503)
    const beforeKill = [...a.answers, ...c.answers].filter((x) => !is2xx(x) && answeredAt(x) < killedAt)
    const since = (at: number) => s(at - killedAt)
    /** 503 answers by when they came: before the promotion, until the promoted master had its replica in sync, after. */
    const phases = (answers: OpenLoopAnswer[]) => {
      const failed = answers.filter((x) => x.status === 503).map(answeredAt)
      if (failed.length === 0) return '503: none'
      const within = (from: number, to: number) => failed.filter((at) => at >= from && at < to).length
      return `503 from ${since(Math.min(...failed))} to ${since(Math.max(...failed))} after the SIGKILL: ${within(killedAt, promotedAt)} before the promotion, ${within(promotedAt, rejoinedAt)} until the replica was in sync, ${within(rejoinedAt, Infinity)} after`
    }
    const slowest = (answers: OpenLoopAnswer[]) => ms(Math.max(...answers.map((x) => x.ms)))
    return {
      pass: recovered && unexpected.length === 0,
      invalid: [
        !recovered && `(4) the hot paths did not answer 2xx only for ${FAILOVER.calmS} s within ${FAILOVER.recoverS} s of the rejoin`,
        unexpected.length && `(4) ${unexpected.length} answers neither 2xx nor 503`,
        beforeKill.length && `(4) ${beforeKill.length} answers not 2xx before the SIGKILL`,
      ],
      report: `(4) failover, K=1, open loop ${RATE.assignments} assignments/s + ${RATE.batches} batches/s; SIGKILL to ${owner}, master of experiment ${experimentA.id}'s slot ${slot}, after ${FAILOVER.steadyS} s
    replica promoted (a surviving node's CLUSTER SLOTS names another owner): ${since(promotedAt)} after the SIGKILL (cluster-node-timeout ${NODE_TIMEOUT_MS} ms)
    killed node started again and in sync as the promoted master's replica (its INFO replication): ${since(rejoinedAt)} after the SIGKILL (restart() had returned after ${since(restartedAt)})
    both hot paths answering 2xx only again (last non-2xx answer): ${since(lastBadAt(all()))} after the SIGKILL${recovered ? '' : ' — NOT RECOVERED'}
    assignments: ${a.answers.length} requests, ${statusText(a.answers)}; slowest ${slowest(a.answers)}
      ${phases(a.answers)}
    conversions: ${c.answers.length} batches, ${statusText(c.answers)}; slowest ${slowest(c.answers)}
      ${phases(c.answers)}
    answers other than 2xx or 503: ${unexpected.length} (a request unanswered after ${FAILOVER.requestTimeoutMs / 1000} s would count as "no answer"); load generator event-loop delay max ${ms(loopDelay.max / 1e6)}
    2xx or 503 only, recovered: ${verdict(recovered && unexpected.length === 0)}`,
    }
  }

  const loadBefore = loadavg()[0]!
  const parts: Part[] = []
  if (PARTS.has('1')) parts.push(await clusterAgainstOne())
  if (PARTS.has('2')) parts.push(await shardsAgainstOne())
  if (PARTS.has('3')) parts.push(await replicaAcks())
  if (PARTS.has('4')) parts.push(await failover())
  const only = PARTS.size < 4 ? ` (only ${[...PARTS].sort().join(', ')})` : ''
  console.log(`
==================== scale-out benchmark${only} (${availableParallelism()} CPUs, 1-min load ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} now; ${((performance.now() - started) / 1000).toFixed(0)} s) ====================
${parts.map((part) => part.report).join('\n')}
overall: ${verdict(parts.every((part) => part.pass))}`)

  const invalid = [...failures, ...parts.flatMap((part) => part.invalid).filter(Boolean)]
  if (invalid.length) {
    console.error(`[bench] INVALID run: ${invalid.join('; ')}`)
    process.exitCode = 1
  }
}
