/** Reading a Prometheus text exposition (GET /metrics) in tests. */
export type Sample = { name: string; labels: Record<string, string>; value: number }

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Every sample of the exposition (comment lines skipped). */
export const samplesOf = (text: string): Sample[] =>
  text.split('\n').flatMap((line) => {
    const match = SAMPLE.exec(line)
    if (!match) return []
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, name, value]) => [name!, value!]))
    return [{ name: match[1]!, labels, value: Number(match[3]) }]
  })

/** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
export const sampleValue = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  const matching = samplesOf(text).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0)
}

/** Metric names every service's /metrics has: prom-client's process and Node.js metrics. */
export const PROCESS_METRICS = [
  'process_cpu_user_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_seconds',
]

/** The metric names the exposition declares (# TYPE lines). */
export const metricNames = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name!)
