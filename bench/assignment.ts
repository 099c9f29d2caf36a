/**
 * `npm run bench:assignment`: the assignment service against a bare Fastify route.
 *
 * Starts the whole system (gateway, assignment service, analytics worker as child processes, a
 * private redis-server without persistence, a throwaway PostgreSQL database) and a bare Fastify
 * route in another child process, then loads both alternately with autocannon from this process
 * (50 connections, a new user id and the JWT on every request). Prints req/s, p50 and p99 of each,
 * the ratio, how far the stream drain into PostgreSQL lags, and Redis memory per 1M sticky
 * assignments. Exits 1 only when the run is invalid (errors, non-2xx answers, a crashed service).
 * BENCH_SECONDS (default 10) sets the length of a measured round; BENCH_CPU_PROF=<dir> runs the
 * assignment service, the analytics worker (the drain) and the bare route with --cpu-prof and
 * writes their profiles there (their time deltas are wall time: a process preempted by the one its
 * write woke up shows that time in the write).
 */
import { randomUUID } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { onCleanup } from './lib/cleanup.js'
import { pidsMatching, startCpuMeter } from './lib/cpu.js'
import { apiCaller, log, profileArgs, requireBuilt, ROOT, runBenchmark } from './lib/harness.js'
import { postRound } from './lib/load.js'
import { assertAllAlive, startChild, waitForReady, type Child } from './lib/processes.js'
import { cpuText, printSummary, roundLine, type Round } from './lib/report.js'

const ENTRIES = { gateway: 'apps/gateway/dist/server.js', assignment: 'apps/assignment/dist/server.js', analytics: 'apps/analytics/dist/main.js' }
const CONNECTIONS = 50
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP_SECONDS = 3
const ROUNDS = 2
const TARGET = { ratio: 0.5, p99Ms: 10, drainLagS: 2 }

requireBuilt(Object.values(ENTRIES))
// Imported only now: they resolve to the workspace packages' dist.
const { benchStack } = await import('./lib/stack.js')
const { freePort, signToken } = await import('@experiments/devstack')
const { redisKeys } = await import('@experiments/contracts')
const { Redis } = await import('ioredis')
const { default: pg } = await import('pg')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

await runBenchmark(main)

async function main() {
  const { database, redisServer, secret, serviceEnv } = await benchStack('assignment')
  const token = signToken(secret, { tenantId: 'bench', scope: 'experiments:read experiments:write assignments:write', ttlSeconds: 3600 })
  const ports = { gateway: await freePort(), assignment: await freePort(), analytics: await freePort(), bare: await freePort() }
  const env = serviceEnv(ports)
  const base = (port: number) => `http://127.0.0.1:${port}`

  // The gateway migrates the database first, so the analytics worker does not race it.
  const gateway = startChild('gateway', [join(ROOT, ENTRIES.gateway)], env)
  await waitForReady(gateway, `${base(ports.gateway)}/ready`)
  const children: Child[] = [
    gateway,
    startChild('assignment', [...profileArgs(), join(ROOT, ENTRIES.assignment)], env),
    startChild('analytics', [...profileArgs(), join(ROOT, ENTRIES.analytics)], env),
    startChild('bare', [...profileArgs(), '--import', 'tsx', join(ROOT, 'bench/lib/bare-server.ts')], env),
  ]
  await Promise.all([
    waitForReady(children[1]!, `${base(ports.assignment)}/ready`),
    waitForReady(children[2]!, `${base(ports.analytics)}/ready`),
    waitForReady(children[3]!, `${base(ports.bare)}/ready`),
  ])
  const assertAlive = () => assertAllAlive(children)

  const call = apiCaller(token)
  const created = await call('POST', `${base(ports.gateway)}/api/experiments`, {
    name: 'assignment benchmark',
    variants: [
      { name: 'control', splitPercentage: 50 },
      { name: 'treatment', splitPercentage: 50 },
    ],
  })
  const experimentId = String(created.id)
  await call('POST', `${base(ports.gateway)}/api/experiments/${experimentId}/start`)
  const path = `/api/experiments/${experimentId}/assignments`
  const probe = await call('POST', `${base(ports.assignment)}${path}`, { userId: 'bench-probe' })
  if (probe.reason !== 'assigned') throw new Error(`probe assignment answered ${JSON.stringify(probe)}`)

  const redis = new Redis(redisServer.url)
  onCleanup('bench redis client', () => redis.quit())
  const db = new pg.Client({ connectionString: database.url })
  await db.connect()
  onCleanup('bench pg client', () => db.end())
  const keys = { hash: redisKeys.assignments(experimentId), stream: redisKeys.assignmentStream(experimentId) }
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])

  let maxBacklog = 0
  const sampler = setInterval(() => {
    redis.xlen(keys.stream).then(
      (n) => (maxBacklog = Math.max(maxBacklog, n)),
      () => {},
    )
  }, 500)
  onCleanup('backlog sampler', async () => clearInterval(sampler))

  /** Seconds from now until PostgreSQL holds every sticky assignment Redis holds. */
  const drainLag = async (timeoutS = 120) => {
    const start = performance.now()
    for (;;) {
      const elapsed = (performance.now() - start) / 1000
      if (elapsed > timeoutS) return Infinity
      // Entries leave the stream only after their rows committed, so count rows once it is empty.
      if ((await redis.xlen(keys.stream)) === 0) {
        const [hlen, { rows }] = await Promise.all([
          redis.hlen(keys.hash),
          db.query<{ n: number }>('select count(*)::int as n from assignments where experiment_id = $1', [experimentId]),
        ])
        if (rows[0]!.n === hlen) return elapsed
      }
      await sleep(50)
    }
  }

  // CPU per answered request, per process: robust to other work on the machine, unlike req/s.
  const databaseName = new URL(database.url).pathname.slice(1)
  const processes = {
    bare: { bare: () => [children[3]!.process.pid], 'load generator': () => [process.pid] },
    assignment: {
      'assignment service': () => [children[1]!.process.pid],
      redis: () => [redisServer.pid],
      'analytics worker': () => [children[2]!.process.pid],
      [`postgres (${databaseName} backends)`]: () => pidsMatching(new RegExp(`^postgres: .* ${databaseName} `)),
      'load generator': () => [process.pid],
    },
  }
  const round = async (target: 'bare' | 'assignment', seconds: number): Promise<Round> => {
    const stopMeter = startCpuMeter(processes[target])
    // A never-seen user id on every request: each one is a new assignment.
    const result = await postRound({
      url: `${base(target === 'bare' ? ports.bare : ports.assignment)}${path}`,
      token,
      seconds,
      connections: CONNECTIONS,
      body: () => JSON.stringify({ userId: randomUUID() }),
    })
    assertAlive()
    return { ...result, cpu: stopMeter(result.completed) }
  }

  const loadBefore = loadavg()[0]!
  const memoryBefore = await usedMemory()
  const hlenBefore = await redis.hlen(keys.hash)
  log(
    `experiment ${experimentId} running; ${availableParallelism()} CPUs; ${CONNECTIONS} connections; warm-up ${WARMUP_SECONDS} s each, then ${ROUNDS} × ${SECONDS} s rounds alternating`,
  )
  const warmups = [await round('bare', WARMUP_SECONDS), await round('assignment', WARMUP_SECONDS)]
  await drainLag()

  const bare: Round[] = []
  const assignment: Round[] = []
  const lags: number[] = []
  const backlogAtEnd: number[] = []
  for (let i = 1; i <= ROUNDS; i++) {
    bare.push(await round('bare', SECONDS))
    log(`bare #${i}:       ${roundLine(bare.at(-1)!)}  CPU µs/request: ${cpuText(bare.at(-1)!.cpu)}`)
    assignment.push(await round('assignment', SECONDS))
    backlogAtEnd.push(await redis.xlen(keys.stream))
    lags.push(await drainLag())
    log(`assignment #${i}: ${roundLine(assignment.at(-1)!)}  backlog at end ${backlogAtEnd.at(-1)}, drained ${lags.at(-1)!.toFixed(2)} s later`)
    log(`  CPU µs/request: ${cpuText(assignment.at(-1)!.cpu)}`)
  }
  clearInterval(sampler)

  const failures = [...warmups, ...bare, ...assignment].reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)
  const assignedByLoad = [warmups[1]!, ...assignment].reduce((n, r) => n + r.ok, 0)
  const hlen = await redis.hlen(keys.hash)
  const entries = hlen - hlenBefore
  printSummary({
    rounds: ROUNDS,
    seconds: SECONDS,
    connections: CONNECTIONS,
    bare,
    assignment,
    lags,
    backlogAtEnd,
    maxBacklog,
    target: TARGET,
    memory: {
      hashBytes: Number(await redis.call('MEMORY', 'USAGE', keys.hash, 'SAMPLES', '0')),
      hashEntries: hlen,
      usedDelta: (await usedMemory()) - memoryBefore,
      newEntries: entries,
      streamBytes: Number((await redis.call('MEMORY', 'USAGE', keys.stream, 'SAMPLES', '0')) ?? 0),
    },
    assignedByLoad,
    failures,
    machine: { cpus: availableParallelism(), loadBefore, loadAfter: loadavg()[0]! },
  })

  // autocannon does not count answers still in flight when a round ends: at most one per connection.
  const uncounted = entries - assignedByLoad
  if (failures > 0 || uncounted < 0 || uncounted > CONNECTIONS * (ROUNDS + 1)) {
    console.error(`[bench] INVALID run: ${failures} failed requests; ${entries} new sticky entries for ${assignedByLoad} assignment answers`)
    process.exitCode = 1
  }
}
