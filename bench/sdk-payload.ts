/**
 * `npm run bench:sdk-payload`: GET /api/features/:clientKey of the assignment service, and what
 * evaluating its payload in process saves.
 *
 *  (1) the payload endpoint, a 200 with the whole payload and a 304 to an If-None-Match naming its
 *      ETag, against a bare Fastify route serving the same bytes from memory in a child process of
 *      its own (bench/sdk-payload-lib/bare-payload-server.ts); autocannon from this process, 50
 *      connections, rounds alternating bare, 200, 304. req/s, p50 and p99 of each, the ratios, CPU
 *      µs per request of each process (Redis's shows that a request costs it nothing).
 *  (2) one assignment decided in this process by GrowthBook's JS SDK on the payload (a
 *      GrowthBookClient's evalFeature; and a GrowthBook instance made per user) against one round
 *      trip to POST /api/experiments/:id/assignments (one at a time over a kept-alive connection, a
 *      new user each time: each is a new sticky assignment), both timed from this process.
 *
 * Starts the whole system as bench:assignment does (gateway, assignment service, analytics worker,
 * a private redis-server, a throwaway database); the experiments and the SDK connection are made
 * through the gateway's API. Exits 1 only when the run is invalid (errors, an unexpected status,
 * the SDK disagreeing with the service, a crashed service). BENCH_SECONDS (default 10) sets the
 * length of a measured round; BENCH_CPU_PROF=<dir> profiles the assignment service and the bare route.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { GrowthBook, GrowthBookClient, type FeatureApiResponse } from '@growthbook/growthbook'
import autocannon from 'autocannon'
import { percentile } from './ingestion-lib/percentiles.js'
import { onCleanup } from './lib/cleanup.js'
import { startCpuMeter } from './lib/cpu.js'
import { apiCaller, log, profileArgs, requireBuilt, ROOT, runBenchmark } from './lib/harness.js'
import { roundResultOf } from './lib/load.js'
import { assertAllAlive, startChild, waitForReady, type Child } from './lib/processes.js'
import { avg, cpuText, meanCpu, roundLine, type Round } from './lib/report.js'

const ENTRIES = { gateway: 'apps/gateway/dist/server.js', assignment: 'apps/assignment/dist/server.js', analytics: 'apps/analytics/dist/main.js' }
const CONNECTIONS = 50
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP_SECONDS = 3
const ROUNDS = 2
const TARGET = { ratio: 0.5 }
const SDK_EVALUATIONS = 200_000
const ROUND_TRIPS = 3_000
const WARMUP_CALLS = 300

/** The payload's experiments: 2 to 5 variants, an audience on every other one. */
const SPLITS = [
  [50, 50],
  [20, 30, 50],
  [10, 20, 30, 40],
  [5, 15, 25, 25, 30],
]
const EXPERIMENT_COUNT = 12
const CONDITIONS = { country: { $in: ['DE', 'AT', 'CH', 'FR'] }, 'company.plan': { $in: ['pro', 'enterprise'] } }

requireBuilt(Object.values(ENTRIES))
// Imported only now: they resolve to the workspace packages' dist.
const { benchStack } = await import('./lib/stack.js')
const { freePort, signToken } = await import('@experiments/devstack')

type PayloadRound = Round & { notModified: number }

/** One autocannon round of GETs with `headers`; `notModified` counts the 304 answers. */
const getRound = async (url: string, headers: Record<string, string>, seconds: number) => {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers })
  return { ...roundResultOf(result), notModified: result['3xx'] }
}

/** A POST with a JSON body over `agent`; resolves to the status and the parsed body. node:http: fetch costs the caller more CPU per request. */
const postJson = (agent: http.Agent, url: URL, token: string, body: unknown) =>
  new Promise<{ status: number; json: { data: { variant: { id: string } | null; reason: string } } }>((resolve, reject) => {
    const text = JSON.stringify(body)
    const request = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }))
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(text)
  })

/** Attributes of user `i`: about a third are in the audience. */
const attributesOf = (i: number) => ({
  country: ['DE', 'AT', 'CH', 'FR', 'US', 'JP'][i % 6],
  company: { plan: ['free', 'pro', 'enterprise'][(i >> 1) % 3], seats: i % 300 },
})

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
const micros = (ms: number) => `${(ms * 1000).toFixed(1)} µs`

async function main() {
  const { redisServer, secret, serviceEnv, tmp } = await benchStack('sdk-payload')
  const token = signToken(secret, { tenantId: 'bench', scope: 'experiments:read experiments:write assignments:write', ttlSeconds: 3600 })
  const ports = { gateway: await freePort(), assignment: await freePort(), analytics: await freePort(), bare: await freePort() }
  const base = (port: number) => `http://127.0.0.1:${port}`
  const payloadFile = join(tmp, 'payload.json')
  const env = serviceEnv(ports, { BARE_PAYLOAD_FILE: payloadFile })

  // The gateway migrates the database first, so the analytics worker does not race it.
  const gateway = startChild('gateway', [join(ROOT, ENTRIES.gateway)], env)
  await waitForReady(gateway, `${base(ports.gateway)}/ready`)
  const assignment = startChild('assignment', [...profileArgs(), join(ROOT, ENTRIES.assignment)], env)
  const analytics = startChild('analytics', [join(ROOT, ENTRIES.analytics)], env)
  await Promise.all([waitForReady(assignment, `${base(ports.assignment)}/ready`), waitForReady(analytics, `${base(ports.analytics)}/ready`)])
  const children: Child[] = [gateway, assignment, analytics]

  const call = apiCaller(token)
  const { id: audienceId } = await call('POST', `${base(ports.gateway)}/api/audiences`, { name: 'bench audience', conditions: CONDITIONS })
  const experimentIds: string[] = []
  for (let i = 0; i < EXPERIMENT_COUNT; i++) {
    const splits = SPLITS[i % SPLITS.length]!
    const created = await call('POST', `${base(ports.gateway)}/api/experiments`, {
      name: `SDK payload benchmark ${i}`,
      variants: splits.map((splitPercentage, v) => ({
        name: `variant ${v}`,
        splitPercentage,
        flowId: `flow_${v}`,
        config: { color: `#${v}0${v}0${v}0`, copy: `Try variant ${v} today` },
      })),
      ...(i % 2 ? { audienceId } : {}),
    })
    await call('POST', `${base(ports.gateway)}/api/experiments/${String(created.id)}/start`)
    experimentIds.push(String(created.id))
  }
  const { clientKey } = await call('POST', `${base(ports.gateway)}/api/sdk-connections`, { name: 'bench' })
  const featuresUrl = `${base(ports.assignment)}/api/features/${String(clientKey)}`

  // Announcements reach the service within milliseconds; the payload is read once it holds every experiment.
  let served: Response
  let payload: FeatureApiResponse
  do {
    await new Promise((r) => setTimeout(r, 50))
    served = await fetch(featuresUrl)
    payload = served.ok ? ((await served.clone().json()) as FeatureApiResponse) : {}
  } while (Object.keys(payload.features ?? {}).length < EXPERIMENT_COUNT)
  const body = Buffer.from(await served.arrayBuffer())
  const etag = served.headers.get('etag')!
  writeFileSync(payloadFile, body)
  const bare = startChild('bare', [...profileArgs(), '--import', 'tsx', join(ROOT, 'bench/sdk-payload-lib/bare-payload-server.ts')], env)
  await waitForReady(bare, `${base(ports.bare)}/ready`)
  children.push(bare)

  // --- (1) the payload endpoint against the bare route ---
  const processes = {
    bare: { bare: () => [bare.process.pid], 'load generator': () => [process.pid] },
    service: { 'assignment service': () => [assignment.process.pid], redis: () => [redisServer.pid], 'load generator': () => [process.pid] },
  }
  const kinds = {
    bare: { url: `${base(ports.bare)}/api/features/${String(clientKey)}`, headers: {}, cpu: processes.bare },
    full: { url: featuresUrl, headers: {}, cpu: processes.service },
    notModified: { url: featuresUrl, headers: { 'if-none-match': etag }, cpu: processes.service },
  }
  const round = async (kind: keyof typeof kinds, seconds: number): Promise<PayloadRound> => {
    const stopMeter = startCpuMeter(kinds[kind].cpu)
    const result = await getRound(kinds[kind].url, kinds[kind].headers, seconds)
    assertAllAlive(children)
    return { ...result, cpu: stopMeter(result.completed) }
  }
  const loadBefore = loadavg()[0]!
  log(
    `${EXPERIMENT_COUNT} running experiments, payload ${body.length} bytes; ${availableParallelism()} CPUs; ${CONNECTIONS} connections; warm-up ${WARMUP_SECONDS} s each, then ${ROUNDS} × ${SECONDS} s rounds alternating`,
  )
  const warmups = [await round('bare', WARMUP_SECONDS), await round('full', WARMUP_SECONDS), await round('notModified', WARMUP_SECONDS)]
  const rounds: Record<keyof typeof kinds, PayloadRound[]> = { bare: [], full: [], notModified: [] }
  for (let i = 1; i <= ROUNDS; i++) {
    for (const kind of ['bare', 'full', 'notModified'] as const) {
      rounds[kind].push(await round(kind, SECONDS))
      log(`${kind} #${i}: ${roundLine(rounds[kind].at(-1)!)}  CPU µs/request: ${cpuText(rounds[kind].at(-1)!.cpu)}`)
    }
  }
  // The bare route and the 200 rounds answer 2xx only; the 304 rounds 304 only.
  const all = [...warmups, ...rounds.bare, ...rounds.full, ...rounds.notModified]
  const unexpected =
    all.reduce((n, r) => n + r.errors + r.timeouts, 0) +
    [warmups[0]!, warmups[1]!, ...rounds.bare, ...rounds.full].reduce((n, r) => n + r.non2xx, 0) +
    [warmups[2]!, ...rounds.notModified].reduce((n, r) => n + r.ok + r.non2xx - r.notModified, 0)

  // --- (2) one assignment: the SDK in process against a round trip ---
  const experimentId = experimentIds[1]!
  const client = new GrowthBookClient().initSync({ payload })
  const users = Array.from({ length: SDK_EVALUATIONS }, (_, i) => ({ id: `sdk-user-${i}`, ...attributesOf(i) }))
  const evaluateAll = () => {
    let inExperiment = 0
    const start = performance.now()
    for (const attributes of users) if (client.evalFeature(experimentId, { attributes }).experimentResult?.inExperiment) inExperiment++
    return { ms: (performance.now() - start) / users.length, inExperiment }
  }
  evaluateAll()
  const { ms: sharedClientMs, inExperiment } = evaluateAll()
  const perUser = users.slice(0, ROUND_TRIPS * 10)
  const instanceStart = performance.now()
  for (const attributes of perUser) {
    const gb = new GrowthBook({ attributes }).initSync({ payload })
    gb.evalFeature(experimentId)
    gb.destroy()
  }
  const instanceMs = (performance.now() - instanceStart) / perUser.length

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  onCleanup('round-trip agent', async () => agent.destroy())
  const assignUrl = new URL(`${base(ports.assignment)}/api/experiments/${experimentId}/assignments`)
  const sdkVariant = (attributes: Record<string, unknown>) => {
    const result = client.evalFeature<{ variantId: string }>(experimentId, { attributes })
    return result.experimentResult?.inExperiment ? result.value!.variantId : null
  }
  const roundTripMs: number[] = []
  let disagreements = 0
  let failedCalls = 0
  for (let i = 0; i < WARMUP_CALLS + ROUND_TRIPS; i++) {
    const { id: userId, ...attributes } = { id: `rt-${randomUUID()}`, ...attributesOf(i) }
    const start = performance.now()
    const { status, json } = await postJson(agent, assignUrl, token, { userId, attributes })
    if (i >= WARMUP_CALLS) roundTripMs.push(performance.now() - start)
    if (status !== 200) failedCalls++
    else if ((json.data.variant?.id ?? null) !== sdkVariant({ id: userId, ...attributes })) disagreements++
  }
  assertAllAlive(children)

  const [a200, a304, bareAvg] = [avg(rounds.full), avg(rounds.notModified), avg(rounds.bare)]
  const [cpu200, cpu304, cpuBare] = [meanCpu(rounds.full), meanCpu(rounds.notModified), meanCpu(rounds.bare)]
  const ratio200 = a200.rps / bareAvg.rps
  const fmt = (r: { rps: number; p50: number; p99: number }) => `${Math.round(r.rps)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`
  const roundTripMean = mean(roundTripMs)
  console.log(`
==================== SDK payload benchmark: mean of ${ROUNDS} × ${SECONDS} s rounds per route, ${CONNECTIONS} connections ====================
payload: ${EXPERIMENT_COUNT} running experiments (2–5 variants, half with an audience), ${body.length} bytes
GET /api/features 200:  ${fmt(a200)}   (client key from memory, the serialized payload from memory, ETag, CORS and caching headers)
GET /api/features 304:  ${fmt(a304)}   (If-None-Match names the ETag: no body)
bare Fastify:           ${fmt(bareAvg)}   (same route, same bytes from memory, no headers of ours)
ratio 200 / bare req/s: ${ratio200.toFixed(3)}   target ≥ ${TARGET.ratio}: ${verdict(ratio200 >= TARGET.ratio)}
ratio 304 / bare req/s: ${(a304.rps / bareAvg.rps).toFixed(3)};  304 / 200: ${(a304.rps / a200.rps).toFixed(3)}   the 304 path cheaper than the 200: ${verdict(a304.rps > a200.rps)}
CPU µs per request: 200: ${cpuText(cpu200)}
                    304: ${cpuText(cpu304)}
                    bare route: ${cpuText(cpuBare)}
one assignment, timed from this process (experiment with 3 variants and an audience; ${((inExperiment / users.length) * 100).toFixed(0)} % of users in it):
  SDK in process, one GrowthBookClient:          ${micros(sharedClientMs)} per evaluation (mean of ${users.length})
  SDK in process, a GrowthBook made per user:    ${micros(instanceMs)} per evaluation (mean of ${perUser.length})
  round trip, POST /api/experiments/:id/assignments: ${micros(roundTripMean)} mean, p50 ${micros(percentile(roundTripMs, 0.5))}, p99 ${micros(percentile(roundTripMs, 0.99))} (${roundTripMs.length} calls, one at a time)
  round trip / SDK: ${(roundTripMean / sharedClientMs).toFixed(0)}× (one client), ${(roundTripMean / instanceMs).toFixed(0)}× (an instance per user)
  the SDK agreed with the service for ${WARMUP_CALLS + ROUND_TRIPS - disagreements - failedCalls} of ${WARMUP_CALLS + ROUND_TRIPS} round-trip users
checks: unexpected statuses, errors and timeouts in the load rounds: ${unexpected}; failed assignment calls: ${failedCalls}; disagreements: ${disagreements}
machine: ${availableParallelism()} CPUs shared by load generator, services, Redis and PostgreSQL; 1-min load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`)

  if (unexpected > 0 || failedCalls > 0 || disagreements > 0) {
    console.error(`[bench] INVALID run: ${unexpected} unexpected answers under load, ${failedCalls} failed assignment calls, ${disagreements} disagreements`)
    process.exitCode = 1
  }
}

await runBenchmark(main)
