// Benchmark for @experiments/stats: analyzeExperiment on 20 variants × 10^7 users.
// Machines are noisy, so every figure is also given as a ratio to baselines measured
// in the same run, interleaved with the measured calls. Run: npx tsx bench/stats.ts
import { analyzeExperiment, criticalZ, wilsonInterval, type AnalyzeInput } from '../packages/stats/src/index.js'

const VARIANTS = 20
const USERS = 10_000_000
const ITERATIONS = 2_000
const WARMUP = 300
const BASELINE_BATCH = 50

/** Deterministic pseudo-random numbers (LCG) so every run analyses the same experiments. */
function makeRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

/**
 * Realistic experiments: one base conversion rate between 1% and 30% per experiment, and
 * variants within ±1% relative lift of it, so every comparison overlaps the control and takes
 * the full computation path (well-separated arms would be cheaper).
 */
function makeExperiments(count: number): AnalyzeInput[] {
  const random = makeRandom(42)
  return Array.from({ length: count }, () => {
    const baseRate = 0.01 + 0.29 * random()
    return {
      variants: Array.from({ length: VARIANTS }, (_, i) => ({
        variantId: `v${i}`,
        variantName: `Variant ${i}`,
        sampleSize: USERS,
        conversions: Math.round(USERS * baseRate * (1 + (random() - 0.5) * 0.02)),
        splitPercentage: 100 / VARIANTS,
      })),
    }
  })
}

/** Baseline A: only the 20 conversion rates and Wilson intervals. */
function ratesAndWilson(input: AnalyzeInput): number {
  const z = criticalZ(0.95)
  let sink = 0
  for (const v of input.variants) {
    const rate = v.conversions / v.sampleSize
    const [low, high] = wilsonInterval(v.conversions, v.sampleSize, z)
    sink += rate + low + high
  }
  return sink
}

/** Baseline B: serialising the input once. */
function stringify(input: AnalyzeInput): number {
  return JSON.stringify(input).length
}

function nowMicros(): number {
  return Number(process.hrtime.bigint()) / 1000
}

function timeBatch(fn: (input: AnalyzeInput) => number, input: AnalyzeInput): number {
  const start = nowMicros()
  for (let i = 0; i < BASELINE_BATCH; i++) sink += fn(input)
  return (nowMicros() - start) / BASELINE_BATCH
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function summary(samples: number[]): { mean: number; p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  return { mean: samples.reduce((s, x) => s + x, 0) / samples.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }
}

let sink = 0
const experiments = makeExperiments(64)
for (let i = 0; i < WARMUP; i++) {
  const input = experiments[i % experiments.length]!
  sink += analyzeExperiment(input).variants.length + ratesAndWilson(input) + stringify(input)
}

const analyzeTimes: number[] = []
const baselineA: number[] = []
const baselineB: number[] = []
for (let i = 0; i < ITERATIONS; i++) {
  const input = experiments[i % experiments.length]!
  baselineA.push(timeBatch(ratesAndWilson, input))
  const start = nowMicros()
  sink += analyzeExperiment(input).variants.length
  analyzeTimes.push(nowMicros() - start)
  baselineB.push(timeBatch(stringify, input))
}

const a = summary(analyzeTimes)
const ra = summary(baselineA)
const rb = summary(baselineB)
const fmt = (x: number): string => x.toFixed(2).padStart(9)
const ratio = (x: number, y: number): string => `${(x / y).toFixed(1)}×`

console.log(`analyzeExperiment: ${VARIANTS} variants × ${USERS.toExponential(0)} users, ${ITERATIONS} calls (node ${process.version})`)
console.log('')
console.log('                                         mean µs    p50 µs    p99 µs')
console.log(`analyzeExperiment                      ${fmt(a.mean)} ${fmt(a.p50)} ${fmt(a.p99)}`)
console.log(`baseline A: 20 rates + Wilson intervals${fmt(ra.mean)} ${fmt(ra.p50)} ${fmt(ra.p99)}`)
console.log(`baseline B: JSON.stringify(input)      ${fmt(rb.mean)} ${fmt(rb.p50)} ${fmt(rb.p99)}`)
console.log('')
console.log(`ratio to baseline A (mean / p50 / p99): ${ratio(a.mean, ra.mean)} / ${ratio(a.p50, ra.p50)} / ${ratio(a.p99, ra.p99)}`)
console.log(`ratio to baseline B (mean / p50 / p99): ${ratio(a.mean, rb.mean)} / ${ratio(a.p50, rb.p50)} / ${ratio(a.p99, rb.p99)}`)
console.log(`target: well under 1 ms per call → ${a.mean < 1000 ? 'met' : 'NOT met'} (mean ${(a.mean / 1000).toFixed(3)} ms)`)
if (sink === Number.MIN_VALUE) console.log(sink)
