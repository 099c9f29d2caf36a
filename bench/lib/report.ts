import type { RoundResult } from './load.js'

export type Round = RoundResult & { cpu: Record<string, number> }

export type Figures = {
  rounds: number
  seconds: number
  connections: number
  bare: Round[]
  assignment: Round[]
  lags: number[]
  backlogAtEnd: number[]
  maxBacklog: number
  target: { ratio: number; p99Ms: number; drainLagS: number }
  memory: { hashBytes: number; hashEntries: number; usedDelta: number; newEntries: number; streamBytes: number }
  assignedByLoad: number
  failures: number
  machine: { cpus: number; loadBefore: number; loadAfter: number }
}

const MiB = 1024 * 1024
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
const fmt = (r: Pick<RoundResult, 'rps' | 'p50' | 'p99'>) => `${Math.round(r.rps)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`
/** The mean req/s, p50 and p99 of rounds. */
export const avg = (rs: RoundResult[]) => ({ rps: mean(rs.map((r) => r.rps)), p50: mean(rs.map((r) => r.p50)), p99: mean(rs.map((r) => r.p99)) })
/** The mean CPU µs per request of each process over rounds. */
export const meanCpu = (rs: Round[]) => Object.fromEntries(Object.keys(rs[0]!.cpu).map((name) => [name, mean(rs.map((r) => r.cpu[name] ?? NaN))]))

export const roundLine = (r: RoundResult) => fmt(r)
export const cpuText = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .map(([name, us]) => `${name} ${Math.round(us)}`)
    .join(', ')

/** Prints the summary block; returns whether every target was met. */
export const printSummary = (f: Figures): boolean => {
  const a = avg(f.assignment)
  const b = avg(f.bare)
  const ratio = a.rps / b.rps
  const cpuA = meanCpu(f.assignment)
  const cpuB = meanCpu(f.bare)
  const [serviceUs, bareUs] = [cpuA['assignment service'] ?? NaN, cpuB.bare ?? NaN]
  const ratioOk = ratio >= f.target.ratio
  const p99Ok = a.p99 <= f.target.p99Ms
  // Keeping up: when the load stops, PostgreSQL is at most drainLagS behind, counted both as the
  // backlog in seconds of traffic and as the time the drain then needs to empty it.
  const behindS = f.backlogAtEnd.map((n, i) => n / f.assignment[i]!.rps)
  const drainOk = Math.max(...f.lags, ...behindS) <= f.target.drainLagS
  const perMillion = (bytes: number, n: number) => ((bytes / n) * 1e6) / MiB
  const m = f.memory
  const littleMs = (rps: number) => ((f.connections / rps) * 1000).toFixed(1)
  // Why a p99 over the target follows the throughput (autocannon's percentiles are whole milliseconds).
  const tailArithmetic = `
  ${f.connections} connections each waiting for its answer: mean latency = ${f.connections} / req/s (Little's law), assignment ${littleMs(a.rps)} ms,
  bare ${littleMs(b.rps)} ms; p99 / p50: assignment ${(a.p99 / a.p50).toFixed(1)}, bare ${(b.p99 / b.p50).toFixed(1)}. A p99 ≤ ${f.target.p99Ms} ms at the assignment's
  tail shape needs about ${Math.round((f.connections / f.target.p99Ms) * (a.p99 / a.p50) * 1000)} req/s${b.p99 > f.target.p99Ms ? `; the bare route itself had p99 ${b.p99.toFixed(1)} ms in this run` : ''}`
  const totalUs = (cpu: Record<string, number>) => Object.values(cpu).reduce((sum, us) => sum + us, 0)

  console.log(`
==================== assignment benchmark: mean of ${f.rounds} × ${f.seconds} s rounds per route, ${f.connections} connections ====================
assignment: ${fmt(a)}   (the service: JWT verify, schema validation, one Lua call per request)
bare:       ${fmt(b)}   (Fastify, same route and JSON body parsed, constant reply; NO JWT verification, token still sent)
ratio (assignment / bare req/s): ${ratio.toFixed(3)}   target ≥ ${f.target.ratio}: ${verdict(ratioOk)}
assignment p99: ${a.p99.toFixed(1)} ms   target ≤ ${f.target.p99Ms} ms: ${verdict(p99Ok)}${p99Ok ? '' : tailArithmetic}
drain lag after load: ${f.lags.map((l) => `${l.toFixed(2)} s`).join(', ')}; max stream backlog ${f.maxBacklog} entries (sampled every 500 ms, ${(f.maxBacklog / a.rps).toFixed(1)} s of traffic)
  backlog at round end: ${f.backlogAtEnd.map((n, i) => `${n} entries = ${behindS[i]!.toFixed(2)} s of traffic`).join(', ')}
  keeps up (at most ${f.target.drainLagS} s behind when the load stops): ${verdict(drainOk)}
CPU µs per request: ${cpuText(cpuA)}
                    bare route: ${cpuText(cpuB)}
  service process alone, bare µs / assignment µs: ${(bareUs / serviceUs).toFixed(2)} (the req/s ratio if each had a core to itself)
  every process above, bare µs / assignment µs: ${(totalUs(cpuB) / totalUs(cpuA)).toFixed(2)} (the req/s ratio when the ${f.machine.cpus} shared cores are the limit)
redis memory per 1M sticky assignments (36-character user ids, 2 variants):
  ${perMillion(m.hashBytes, m.hashEntries).toFixed(1)} MiB by MEMORY USAGE of the assignments hash (${(m.hashBytes / MiB).toFixed(1)} MiB for ${m.hashEntries} entries)
  ${perMillion(m.usedDelta, m.newEntries).toFixed(1)} MiB by used_memory before/after the load, once drained (stream now ${m.streamBytes} B)
  drained stream entries are deleted, so the steady-state cost is the hash plus the per-variant counts
checks: ${m.newEntries} new sticky entries, ${f.assignedByLoad} 2xx answers counted (autocannon drops those in flight at a round's end); non-2xx + errors + timeouts: ${f.failures}
machine: ${f.machine.cpus} CPUs shared by load generator, services, Redis and PostgreSQL; 1-min load average ${f.machine.loadBefore.toFixed(1)} before, ${f.machine.loadAfter.toFixed(1)} after
overall: ${verdict(ratioOk && p99Ok && drainOk)}`)
  return ratioOk && p99Ok && drainOk
}
