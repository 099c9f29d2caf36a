/**
 * `npm run bench:ingestion`: conversion ingestion, each figure against a baseline of the same run.
 *
 *  (a) POST /api/conversions (batches of 100 events) on the gateway against a bare Fastify route
 *      that parses the same body and answers 202; autocannon, 50 connections, alternating rounds.
 *      The conversions queue is paused meanwhile (the worker idles) and emptied after each round,
 *      so the HTTP servers compete only with the load generator and Redis. A third route in the
 *      rounds, "enqueue only", parses and enqueues the same job without validating anything: what
 *      the enqueue alone costs here (the issue's reference prototype).
 *  (b) analytics worker throughput into PostgreSQL (jobs enqueued while the queue is paused, then
 *      resumed) against plain unnest INSERT … ON CONFLICT DO NOTHING of the same rows with pg.
 *  (c) end-to-end lag from the gateway's 202 until the event is counted in PostgreSQL.
 *  (d) compute-results latency for a 10M-participant experiment against GET /health.
 *
 * A private redis-server without persistence and a throwaway database. Exits 1 only when the run
 * is invalid (failed requests, lost events, a crashed service). BENCH_SECONDS (default 10) sets a
 * measured HTTP round; BENCH_WORKER_JOBS (default 2000) the jobs per worker round; BENCH_LAG_RATE
 * (default 50) batches/s for (c); BENCH_PARTS (default abcd) the parts to run, e.g. `a` alone
 * while working on the gateway; BENCH_CPU_PROF=<dir> runs gateway, worker and both reference
 * routes with --cpu-prof.
 */
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { onCleanup } from './lib/cleanup.js'
import { pidsMatching, startCpuMeter } from './lib/cpu.js'
import { apiCaller, log, profileArgs, requireBuilt, ROOT, runBenchmark } from './lib/harness.js'
import { assertAllAlive, startChild, waitForReady, type Child } from './lib/processes.js'
import { seedTenMillion, sequentialMs } from './ingestion-lib/compute-latency.js'
import { assignmentRows, BATCH_SIZE, batchBody, eventBatch, USER_POOL, type BenchEvent } from './ingestion-lib/events.js'
import { postRound, type RoundResult } from './lib/load.js'
import { measureLag } from './ingestion-lib/lag.js'
import { summary } from './ingestion-lib/percentiles.js'
import { createPlainTable, drainSeconds, enqueueBatches, openClients, PLAIN_TABLE, plainInsert } from './ingestion-lib/worker-throughput.js'

const ENTRIES = { gateway: 'apps/gateway/dist/server.js', analytics: 'apps/analytics/dist/main.js' }
const CONNECTIONS = 50
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP_SECONDS = 3
const ROUNDS = 2
const WORKER_JOBS = Number(process.env.BENCH_WORKER_JOBS ?? 2000)
const WORKER_WARMUP_JOBS = 300
/** pg clients of the plain insert: more than the worker's two statements at once, so the baseline is not held back. */
const PLAIN_CLIENTS = 4
const LAG = { perSecond: Number(process.env.BENCH_LAG_RATE ?? 50), seconds: 10 }
const COMPUTE_CALLS = 50
const TARGET = { http: 0.6, worker: 0.5, computeMs: 50 }
const TENANT = 'bench'
const PARTS = new Set((process.env.BENCH_PARTS ?? 'abcd').toLowerCase())
if (PARTS.size === 0 || [...PARTS].some((part) => !'abcd'.includes(part))) {
  console.error(`[bench] BENCH_PARTS=${process.env.BENCH_PARTS} names no part or an unknown one: use letters of abcd`)
  process.exit(1)
}

requireBuilt(Object.values(ENTRIES))
// Imported only now: they resolve to the workspace packages' dist.
const { benchStack } = await import('./lib/stack.js')
const { freePort, signToken } = await import('@experiments/devstack')
const { conversionShards, QUEUE } = await import('@experiments/contracts')
const { Queue } = await import('bullmq')
const { Redis } = await import('ioredis')
const { default: pg } = await import('pg')
const { DEFAULT_ANALYTICS_CONCURRENCY, DEFAULT_CONVERSION_QUEUE_SHARDS } = await import('@experiments/config')
// The worker's own default unless ANALYTICS_CONCURRENCY says otherwise.
const WORKER_CONCURRENCY = Number(process.env.ANALYTICS_CONCURRENCY ?? DEFAULT_ANALYTICS_CONCURRENCY)
// The services' default unless CONVERSION_QUEUE_SHARDS says otherwise; the bench reads and empties every shard.
const SHARDS = Number(process.env.CONVERSION_QUEUE_SHARDS ?? DEFAULT_CONVERSION_QUEUE_SHARDS)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const ms = (x: number) => `${x.toFixed(1)} ms`
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
const fmt = (r: Pick<RoundResult, 'rps' | 'p50' | 'p99'>) =>
  `${Math.round(r.rps)} req/s (${Math.round(r.rps * BATCH_SIZE)} events/s)  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}`

await runBenchmark(main)

async function main() {
  const { database, redisServer, secret, serviceEnv } = await benchStack('ingestion')
  const token = signToken(secret, { tenantId: TENANT, scope: 'experiments:read experiments:write events:write', ttlSeconds: 3600 })
  const ports = { gateway: await freePort(), analytics: await freePort(), bare: await freePort(), enqueueOnly: await freePort() }
  const env = serviceEnv(ports, {
    // (a) queues every accepted batch without draining it: the backpressure limit must not answer 429.
    INGEST_MAX_BACKLOG: String(1e12),
    ANALYTICS_CONCURRENCY: String(WORKER_CONCURRENCY),
    CONVERSION_QUEUE_SHARDS: String(SHARDS),
  })
  const base = (port: number) => `http://127.0.0.1:${port}`

  // The gateway migrates the database first, so the analytics worker does not race it.
  const gateway = startChild('gateway', [...profileArgs(), join(ROOT, ENTRIES.gateway)], env)
  await waitForReady(gateway, `${base(ports.gateway)}/ready`)
  const children: Child[] = [
    gateway,
    startChild('analytics', [...profileArgs(), join(ROOT, ENTRIES.analytics)], env),
    startChild('bare', [...profileArgs(), '--import', 'tsx', join(ROOT, 'bench/ingestion-lib/bare-server.ts')], env),
    startChild('enqueue-only', [...profileArgs(), '--import', 'tsx', join(ROOT, 'bench/ingestion-lib/bare-server.ts')], {
      ...env,
      BARE_PORT: String(ports.enqueueOnly),
      ENQUEUE_ONLY: '1',
    }),
  ]
  await Promise.all([ports.analytics, ports.bare, ports.enqueueOnly].map((port, i) => waitForReady(children[i + 1]!, `${base(port)}/ready`)))
  const assertAlive = () => assertAllAlive(children)

  const call = apiCaller(token)
  const newExperiment = async (name: string) => {
    const created = await call('POST', `${base(ports.gateway)}/api/experiments`, {
      name,
      variants: [
        { name: 'control', splitPercentage: 50 },
        { name: 'treatment', splitPercentage: 50 },
      ],
    })
    const id = String(created.id)
    await call('POST', `${base(ports.gateway)}/api/experiments/${id}/start`)
    const variants = (created.variants as { id: string }[]).map((v) => v.id) as [string, string]
    return { id, variants }
  }

  const db = new pg.Client({ connectionString: database.url })
  await db.connect()
  onCleanup('bench pg client', () => db.end())
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null })
  onCleanup('bench redis client', () => redis.quit())
  const shards = conversionShards(SHARDS).map((shard) => ({ shard, queue: new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix }) }))
  const queues = shards.map(({ queue }) => queue)
  onCleanup('bench queues', () => Promise.all(queues.map((queue) => queue.close())))
  const pauseQueues = () => Promise.all(queues.map((queue) => queue.pause()))

  const experiment = await newExperiment('ingestion benchmark')
  const assigned = assignmentRows(experiment.variants)
  await db.query(
    `insert into assignments (experiment_id, user_id, variant_id, assigned_at)
     select $1, u, v, now() - interval '1 day' from unnest($2::text[], $3::text[]) as t(u, v)`,
    [experiment.id, assigned.users, assigned.variants],
  )
  log(`experiment ${experiment.id} running; ${assigned.users.length} of ${USER_POOL} users assigned; ${availableParallelism()} CPUs`)

  const databaseName = new URL(database.url).pathname.slice(1)
  // Backends of this database only; the title may carry a cluster name first ("postgres: 15/main: postgres bench_…").
  const backends = () => pidsMatching(new RegExp(`^postgres: (?:\\S+: )?\\S+ ${databaseName} `))
  const meanCpu = (rs: { cpu: Record<string, number> }[]) =>
    Object.fromEntries(Object.keys(rs[0]!.cpu).map((name) => [name, mean(rs.map((r) => r.cpu[name] ?? NaN))]))
  const cpuText = (cpu: Record<string, number>) =>
    Object.entries(cpu)
      .map(([name, us]) => `${name} ${Math.round(us)}`)
      .join(', ')
  type Part = { report: string; pass: boolean; invalid: (string | false | 0)[] }

  // ---------------------------------------------------------------- (a) HTTP intake
  const httpIntake = async (): Promise<Part> => {
    await pauseQueues()
    // autocannon stops without waiting for answers in flight: let the gateway enqueue those first.
    const emptyQueue = async () => {
      await sleep(1000)
      for (const { shard, queue } of shards) {
        await queue.drain(true)
        await redis.set(shard.backlogKey, 0)
      }
    }
    const processes = {
      bare: { bare: () => [children[2]!.process.pid], 'load generator': () => [process.pid] },
      enqueueOnly: { 'enqueue only': () => [children[3]!.process.pid], redis: () => [redisServer.pid], 'load generator': () => [process.pid] },
      gateway: {
        gateway: () => [gateway.process.pid],
        redis: () => [redisServer.pid],
        [`postgres (${databaseName})`]: backends,
        'load generator': () => [process.pid],
      },
    }
    type Target = keyof typeof processes
    const round = async (target: Target, seconds: number) => {
      const stopMeter = startCpuMeter(processes[target])
      const result = await postRound({
        url: `${base(ports[target])}/api/conversions`,
        token,
        seconds,
        connections: CONNECTIONS,
        body: () => batchBody(eventBatch(experiment.id)),
      })
      const cpu = stopMeter(result.completed)
      assertAlive()
      if (target !== 'bare') await emptyQueue()
      return { ...result, cpu }
    }
    type Round = Awaited<ReturnType<typeof round>>

    log(`(a) ${CONNECTIONS} connections, ${BATCH_SIZE} events per request; warm-up ${WARMUP_SECONDS} s each, then ${ROUNDS} × ${SECONDS} s rounds alternating`)
    const targets: Target[] = ['bare', 'gateway', 'enqueueOnly']
    const warmups: Round[] = []
    for (const target of targets) warmups.push(await round(target, WARMUP_SECONDS))
    const rounds: Record<Target, Round[]> = { bare: [], gateway: [], enqueueOnly: [] }
    for (let i = 1; i <= ROUNDS; i++) {
      for (const target of targets) {
        rounds[target].push(await round(target, SECONDS))
        log(`${`${target} #${i}:`.padEnd(16)}${fmt(rounds[target].at(-1)!)}  CPU µs/request: ${cpuText(rounds[target].at(-1)!.cpu)}`)
      }
    }
    const { bare, gateway: intake, enqueueOnly } = rounds
    const httpFailures = [...warmups, ...bare, ...intake, ...enqueueOnly].reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)
    const avg = (rs: RoundResult[]) => ({ rps: mean(rs.map((r) => r.rps)), p50: mean(rs.map((r) => r.p50)), p99: mean(rs.map((r) => r.p99)) })
    const a = { gateway: avg(intake), bare: avg(bare), enqueueOnly: avg(enqueueOnly) }
    const ratio = a.gateway.rps / a.bare.rps
    const pass = ratio >= TARGET.http
    return {
      pass,
      invalid: [httpFailures && `${httpFailures} failed requests in (a)`],
      report: `(a) POST /api/conversions, ${BATCH_SIZE} events per request, ${CONNECTIONS} connections, mean of ${ROUNDS} × ${SECONDS} s rounds
    gateway: ${fmt(a.gateway)}   (JWT verify, schema validation, ownership check, one BullMQ job + INCRBY per request)
    bare:    ${fmt(a.bare)}   (Fastify, same body parsed, constant-shape 202; NO JWT verification, token still sent)
    enqueue only: ${fmt(a.enqueueOnly)}   (the bare route plus the same job and one Queue.add; no JWT, validation or ownership check)
    CPU µs per request: gateway ${cpuText(meanCpu(intake))} | bare ${cpuText(meanCpu(bare))} | enqueue only ${cpuText(meanCpu(enqueueOnly))}
    conversions queues (${SHARDS} shards) paused during (a) (worker idle) and emptied after each gateway round
    ratio enqueue only / bare req/s: ${(a.enqueueOnly.rps / a.bare.rps).toFixed(3)}, gateway / enqueue only: ${(a.gateway.rps / a.enqueueOnly.rps).toFixed(3)} (what validating costs)
    ratio gateway / bare req/s: ${ratio.toFixed(3)}   target ≥ ${TARGET.http}: ${verdict(pass)}`,
    }
  }

  // ---------------------------------------------------------------- (b) worker throughput
  /** Events per second the worker stored in (b), for (c)'s load figure. */
  let workerRate: number | undefined
  const workerThroughput = async (): Promise<Part> => {
    log(
      `(b) warm-up of ${WORKER_WARMUP_JOBS} batches, then ${ROUNDS} rounds alternating: ${WORKER_JOBS} batches × ${BATCH_SIZE} events by plain INSERT (${PLAIN_CLIENTS} clients), then as jobs through the worker (concurrency ${WORKER_CONCURRENCY})`,
    )
    await createPlainTable(db)
    const clients = await openClients(database.url, PLAIN_CLIENTS)
    onCleanup('baseline pg clients', () => Promise.all(clients.map((c) => c.end())))
    let lostEvents = 0
    const workerRound = async (label: string, jobs: number) => {
      const tenantId = `${TENANT}-${label.replace(/\W/g, '')}`
      const batches: BenchEvent[][] = Array.from({ length: jobs }, () => eventBatch(experiment.id))
      const events = jobs * BATCH_SIZE
      let meter = startCpuMeter({ postgres: backends, 'bench process (pg clients)': () => [process.pid] })
      const plainSeconds = await plainInsert(clients, tenantId, batches)
      const plainCpu = meter(events)
      await pauseQueues()
      await enqueueBatches(shards, redis, tenantId, batches)
      meter = startCpuMeter({ analytics: () => [children[1]!.process.pid], postgres: backends, redis: () => [redisServer.pid] })
      const workerSeconds = await drainSeconds(queues)
      const workerCpu = meter(events)
      assertAlive()
      const counted = async (table: string) =>
        (await db.query<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenantId])).rows[0]!.n
      const [stored, plainStored] = [await counted('conversions'), await counted(PLAIN_TABLE)]
      lostEvents += events - stored + (events - plainStored)
      log(
        `${label}: plain ${Math.round(events / plainSeconds)} events/s (${plainSeconds.toFixed(2)} s), worker ${Math.round(events / workerSeconds)} events/s (${workerSeconds.toFixed(2)} s); stored ${stored} / ${plainStored} of ${events}`,
      )
      log(`  CPU µs/event: worker: ${cpuText(workerCpu)} | plain: ${cpuText(plainCpu)}`)
      return { plain: events / plainSeconds, worker: events / workerSeconds, plainCpu, workerCpu }
    }
    await workerRound('warmup', WORKER_WARMUP_JOBS)
    const worker: Awaited<ReturnType<typeof workerRound>>[] = []
    for (let i = 1; i <= ROUNDS; i++) worker.push(await workerRound(`round #${i}`, WORKER_JOBS))
    const failedJobs = (await Promise.all(queues.map((queue) => queue.getJobCounts('failed')))).reduce((n, counts) => n + (counts.failed ?? 0), 0)
    const b = { plain: mean(worker.map((w) => w.plain)), worker: mean(worker.map((w) => w.worker)) }
    workerRate = b.worker
    const ratio = b.worker / b.plain
    const pass = ratio >= TARGET.worker
    const aggregates = await db.query(`select variant_id, events, converters from metric_aggregates where experiment_id = $1 order by variant_id`, [
      experiment.id,
    ])
    return {
      pass,
      invalid: [lostEvents && `${lostEvents} events of (b) not stored`, failedJobs && `${failedJobs} failed conversions jobs`],
      report: `(b) worker into PostgreSQL, ${WORKER_JOBS} jobs × ${BATCH_SIZE} events per round, half of the events' users assigned, mean of ${ROUNDS} rounds
    worker: ${Math.round(b.worker)} events/s   (BullMQ, concurrency ${WORKER_CONCURRENCY}; insert + attribution join + aggregate upserts, one statement per group of jobs processed together, at most 2 at once)
    plain:  ${Math.round(b.plain)} events/s   (pg, ${PLAIN_CLIENTS} clients, one 100-row unnest INSERT … ON CONFLICT DO NOTHING into a table with the same columns and PK)
    aggregates of the experiment: ${aggregates.rows.map((r) => `${r.variant_id} events ${r.events} converters ${r.converters}`).join('; ')}
    CPU µs per event: worker ${cpuText(meanCpu(worker.map((w) => ({ cpu: w.workerCpu }))))} | plain ${cpuText(meanCpu(worker.map((w) => ({ cpu: w.plainCpu }))))}
    ratio worker / plain events/s: ${ratio.toFixed(3)}   target ≥ ${TARGET.worker}: ${verdict(pass)}`,
    }
  }

  // ---------------------------------------------------------------- (c) end-to-end lag
  const endToEndLag = async (): Promise<Part> => {
    log(`(c) ${LAG.perSecond} batches/s (${LAG.perSecond * BATCH_SIZE} events/s) to the gateway for ${LAG.seconds} s, worker running`)
    await Promise.all(queues.map((queue) => queue.resume()))
    const lagRun = await measureLag({ url: `${base(ports.gateway)}/api/conversions`, token, experimentId: experiment.id, tenantId: TENANT, ...LAG, db })
    assertAlive()
    const c = summary(lagRun.lags)
    const lagFailures = Object.entries(lagRun.statuses)
      .filter(([status]) => status !== '202')
      .reduce((n, [, count]) => n + count, 0)
    log(
      `sent ${lagRun.batches} batches in ${lagRun.sendSeconds.toFixed(2)} s, answers ${JSON.stringify(lagRun.statuses)}; ${c.n} sampled events counted, ${lagRun.neverSeen} never seen`,
    )
    const lagLoad = workerRate && (LAG.perSecond * BATCH_SIZE) / workerRate
    const loadText = lagLoad ? `, ${lagLoad.toFixed(2)} of (b)'s worker rate` : ''
    return {
      pass: true,
      invalid: [lagFailures && `${lagFailures} non-202 answers in (c)`, lagRun.neverSeen && `${lagRun.neverSeen} sampled events of (c) never counted`],
      report: `(c) end-to-end lag, 202 → counted in PostgreSQL, ${LAG.perSecond} batches/s (${LAG.perSecond * BATCH_SIZE} events/s${loadText}) for ${LAG.seconds} s
    p50 ${ms(c.p50)}  p99 ${ms(c.p99)}  over ${c.n} sampled events${lagLoad && lagLoad >= 0.8 ? ' (near or over the worker capacity: the lag mostly measures the growing backlog)' : ''} (first of each batch; polled every 10 ms, so each figure is an upper bound within 10 ms)`,
    }
  }

  // ---------------------------------------------------------------- (d) compute-results
  const computeLatency = async (): Promise<Part> => {
    const big = await newExperiment('compute-results benchmark (10M participants)')
    await seedTenMillion(db, big.id, big.variants)
    const computeUrl = `${base(ports.gateway)}/api/experiments/${big.id}/compute-results`
    const first = await call('POST', computeUrl, {})
    const sampleSizes = (first.variants as { sampleSize: number }[]).map((v) => v.sampleSize)
    if (sampleSizes.reduce((s, n) => s + n, 0) !== 10_000_000) throw new Error(`compute-results saw sample sizes ${sampleSizes.join(', ')}`)
    // Calls with the same options within a second share one computation: each timed call asks for another confidence level.
    const compute = summary(await sequentialMs(COMPUTE_CALLS, async (i) => void (await call('POST', computeUrl, { confidenceLevel: 0.9 + i / 1000 }))))
    const health = summary(
      await sequentialMs(COMPUTE_CALLS, async () => {
        const response = await fetch(`${base(ports.gateway)}/health`)
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`GET /health: ${response.status}`)
      }),
    )
    assertAlive()
    // Every timed call had options of its own, so every one must have computed.
    const snapshots = (await db.query<{ n: number }>('select count(*)::int as n from result_snapshots where experiment_id = $1', [big.id])).rows[0]!.n
    const pass = compute.p50 < TARGET.computeMs && compute.p99 < TARGET.computeMs
    return {
      pass,
      invalid: [snapshots !== COMPUTE_CALLS + 1 && `${snapshots} snapshots for ${COMPUTE_CALLS + 1} compute-results calls`],
      report: `(d) POST /api/experiments/:id/compute-results, 10,000,000 participants (5M per variant; 900k / 1M converters), ${COMPUTE_CALLS} sequential calls
    the aggregate rows were written directly to PostgreSQL: compute-results reads only variants, variant_participants and
    metric_aggregates, never raw assignments or conversions, so this is exactly what it reads for a 10M-participant experiment
    each call computed afresh (${snapshots} snapshots stored for ${COMPUTE_CALLS + 1} calls, the first one untimed)
    compute-results: p50 ${ms(compute.p50)}  p99 ${ms(compute.p99)}   GET /health on the gateway: p50 ${ms(health.p50)}  p99 ${ms(health.p99)}   ratio p50 ${(compute.p50 / health.p50).toFixed(1)}×
    p50 and p99 under ${TARGET.computeMs} ms: ${verdict(pass)}`,
    }
  }

  const loadBefore = loadavg()[0]!
  const parts: Part[] = []
  if (PARTS.has('a')) parts.push(await httpIntake())
  if (PARTS.has('b')) parts.push(await workerThroughput())
  if (PARTS.has('c')) parts.push(await endToEndLag())
  if (PARTS.has('d')) parts.push(await computeLatency())
  const only = PARTS.size < 4 ? ` (only ${[...PARTS].sort().join(', ')})` : ''
  console.log(`
==================== ingestion benchmark${only} (${availableParallelism()} CPUs, 1-min load ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} now) ====================
${parts.map((part) => part.report).join('\n')}
overall: ${verdict(parts.every((part) => part.pass))}`)

  const invalid = parts.flatMap((part) => part.invalid).filter(Boolean)
  if (invalid.length) {
    console.error(`[bench] INVALID run: ${invalid.join('; ')}`)
    process.exitCode = 1
  }
}
