/**
 * `npm run bench:metrics-cost`: what timing every request (http_request_duration_seconds, the
 * onResponse hook of packages/http) costs the hottest path, POST /api/experiments/:id/assignments.
 *
 * Starts the gateway, the analytics worker (the stream drain) and two assignment services on one
 * private redis-server: the built one (requests timed) and the same app with request timing off
 * (bench/metrics-cost-lib/untimed-assignment.ts). Both keep the assignment counters. Loads them
 * with autocannon in alternating rounds, A B B A (50 connections, a new user id and the JWT on
 * every request), and prints req/s, p50, p99 and the assignment service's CPU µs per request of
 * each, and their ratios. Exits 1 only when the run is invalid (errors, non-2xx answers, a crashed
 * service, a timed service whose histogram did not count its requests). BENCH_SECONDS (default
 * 10) sets the length of a round, BENCH_PAIRS (default 2) the number of A B B A groups.
 */
import { randomUUID } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { pidsMatching, startCpuMeter } from './lib/cpu.js'
import { apiCaller, log, requireBuilt, ROOT, runBenchmark } from './lib/harness.js'
import { postRound } from './lib/load.js'
import { assertAllAlive, startChild, waitForReady, type Child } from './lib/processes.js'
import { avg, cpuText, meanCpu, roundLine, type Round } from './lib/report.js'

const ENTRIES = { gateway: 'apps/gateway/dist/server.js', assignment: 'apps/assignment/dist/server.js', analytics: 'apps/analytics/dist/main.js' }
const CONNECTIONS = 50
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const PAIRS = Number(process.env.BENCH_PAIRS ?? 2)
const WARMUP_SECONDS = 3
/** The budget: metrics may cost the hot paths a few percent. */
const MAX_COST = 0.03

requireBuilt(Object.values(ENTRIES))
const { benchStack } = await import('./lib/stack.js')
const { freePort, signToken } = await import('@experiments/devstack')

await runBenchmark(main)

async function main() {
  const { database, secret, serviceEnv } = await benchStack('metrics-cost')
  const token = signToken(secret, { tenantId: 'bench', scope: 'experiments:read experiments:write assignments:write', ttlSeconds: 3600 })
  const ports = { gateway: await freePort(), assignment: await freePort(), analytics: await freePort(), untimed: await freePort() }
  const env = serviceEnv(ports)
  const base = (port: number) => `http://127.0.0.1:${port}`

  const gateway = startChild('gateway', [join(ROOT, ENTRIES.gateway)], env)
  await waitForReady(gateway, `${base(ports.gateway)}/ready`)
  const children: Child[] = [
    gateway,
    startChild('analytics', [join(ROOT, ENTRIES.analytics)], env),
    startChild('timed', [join(ROOT, ENTRIES.assignment)], env),
    startChild('untimed', ['--import', 'tsx', join(ROOT, 'bench/metrics-cost-lib/untimed-assignment.ts')], { ...env, ASSIGNMENT_PORT: String(ports.untimed) }),
  ]
  const [, analytics, timedChild, untimedChild] = children as [Child, Child, Child, Child]
  await Promise.all([
    waitForReady(analytics, `${base(ports.analytics)}/ready`),
    waitForReady(timedChild, `${base(ports.assignment)}/ready`),
    waitForReady(untimedChild, `${base(ports.untimed)}/ready`),
  ])

  const call = apiCaller(token)
  const created = await call('POST', `${base(ports.gateway)}/api/experiments`, {
    name: 'metrics cost benchmark',
    variants: [
      { name: 'control', splitPercentage: 50 },
      { name: 'treatment', splitPercentage: 50 },
    ],
  })
  const experimentId = String(created.id)
  await call('POST', `${base(ports.gateway)}/api/experiments/${experimentId}/start`)
  const path = `/api/experiments/${experimentId}/assignments`
  for (const port of [ports.assignment, ports.untimed]) {
    const probe = await call('POST', `${base(port)}${path}`, { userId: `probe-${port}` })
    if (probe.reason !== 'assigned') throw new Error(`probe assignment answered ${JSON.stringify(probe)}`)
  }

  const databaseName = new URL(database.url).pathname.slice(1)
  const targets = {
    timed: { port: ports.assignment, child: timedChild },
    untimed: { port: ports.untimed, child: untimedChild },
  }
  type Target = keyof typeof targets
  const round = async (target: Target, seconds: number): Promise<Round> => {
    const stopMeter = startCpuMeter({
      'assignment service': () => [targets[target].child.process.pid],
      'analytics worker': () => [analytics.process.pid],
      [`postgres (${databaseName} backends)`]: () => pidsMatching(new RegExp(`^postgres: .* ${databaseName} `)),
      'load generator': () => [process.pid],
    })
    const result = await postRound({
      url: `${base(targets[target].port)}${path}`,
      token,
      seconds,
      connections: CONNECTIONS,
      body: () => JSON.stringify({ userId: randomUUID() }),
    })
    assertAllAlive(children)
    return { ...result, cpu: stopMeter(result.completed) }
  }

  const loadBefore = loadavg()[0]!
  log(
    `${availableParallelism()} CPUs; ${CONNECTIONS} connections; warm-up ${WARMUP_SECONDS} s each, then ${PAIRS} × (timed, untimed, untimed, timed) rounds of ${SECONDS} s`,
  )
  const warmups = [await round('timed', WARMUP_SECONDS), await round('untimed', WARMUP_SECONDS)]
  const rounds: Record<Target, Round[]> = { timed: [], untimed: [] }
  for (let pair = 1; pair <= PAIRS; pair++) {
    for (const target of ['timed', 'untimed', 'untimed', 'timed'] as const) {
      rounds[target].push(await round(target, SECONDS))
      const last = rounds[target].at(-1)!
      log(`${target.padEnd(7)} #${rounds[target].length}: ${roundLine(last)}  CPU µs/request: ${cpuText(last.cpu)}`)
    }
  }

  // The timed service must have timed what it answered (the untimed one nothing): else this compared nothing.
  const timedCount = async (port: number) => {
    const text = await (await fetch(`${base(port)}/metrics`)).text()
    return [...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="\/api\/experiments\/:id\/assignments"[^}]*\} (\d+)$/gm)].reduce(
      (sum, [, n]) => sum + Number(n),
      0,
    )
  }
  const [timedRequests, untimedRequests] = [await timedCount(ports.assignment), await timedCount(ports.untimed)]
  const answered = (rs: Round[]) => rs.reduce((n, r) => n + r.ok, 0)
  const failures = [...warmups, ...rounds.timed, ...rounds.untimed].reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)

  const timed = avg(rounds.timed)
  const untimed = avg(rounds.untimed)
  const cpuTimed = meanCpu(rounds.timed)['assignment service']!
  const cpuUntimed = meanCpu(rounds.untimed)['assignment service']!
  const rpsRatio = timed.rps / untimed.rps
  const cpuRatio = cpuUntimed / cpuTimed
  const f1 = (n: number) => n.toFixed(1)
  console.log(
    `\n==================== metrics cost: POST ${path.replace(experimentId, ':id')}, mean of ${2 * PAIRS} × ${SECONDS} s rounds each ====================`,
  )
  console.log(
    `requests timed (the built service):     ${Math.round(timed.rps)} req/s  p50 ${f1(timed.p50)} ms  p99 ${f1(timed.p99)} ms  service CPU ${f1(cpuTimed)} µs/request`,
  )
  console.log(
    `requests untimed (requestDurations off): ${Math.round(untimed.rps)} req/s  p50 ${f1(untimed.p50)} ms  p99 ${f1(untimed.p99)} ms  service CPU ${f1(cpuUntimed)} µs/request`,
  )
  console.log(`ratio timed / untimed req/s: ${rpsRatio.toFixed(3)} (cost ${f1((1 - rpsRatio) * 100)} %)`)
  console.log(
    `ratio untimed / timed service CPU per request: ${cpuRatio.toFixed(3)} (cost ${f1(cpuTimed - cpuUntimed)} µs, ${f1((1 - cpuRatio) * 100)} %)   target ≤ ${MAX_COST * 100} %: ${1 - cpuRatio <= MAX_COST ? 'PASS' : 'FAIL'}`,
  )
  console.log(
    `checks: timed service's histogram counted ${timedRequests} assignments (answered ${answered([warmups[0]!, ...rounds.timed])} + 1 probe); untimed: ${untimedRequests}; failed requests ${failures}`,
  )
  console.log(
    `machine: ${availableParallelism()} CPUs shared by load generator, services, Redis and PostgreSQL; 1-min load average ${f1(loadBefore)} before, ${f1(loadavg()[0]!)} after`,
  )

  // autocannon does not count answers in flight when a round ends: at most one per connection and round.
  const uncounted = timedRequests - 1 - answered([warmups[0]!, ...rounds.timed])
  if (failures > 0 || untimedRequests !== 0 || uncounted < 0 || uncounted > CONNECTIONS * (2 * PAIRS + 1)) {
    console.error('[bench] INVALID run: failed requests, or the histograms did not count what the services answered')
    process.exitCode = 1
  }
}
