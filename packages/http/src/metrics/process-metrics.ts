import { collectDefaultMetrics, Registry } from 'prom-client'

let processMetrics: Registry | undefined

/**
 * Registers prom-client's process and Node.js metrics (CPU, memory, heap, event-loop delay, GC…) on
 * `registry`. They describe the process, not one app, and some keep a monitor running once made
 * (event-loop delay, GC): they are made once per process and shared by the registries of every app
 * in it (tests build many).
 */
export const registerProcessMetrics = (registry: Registry) => {
  if (!processMetrics) {
    processMetrics = new Registry()
    collectDefaultMetrics({ register: processMetrics })
  }
  for (const { name } of processMetrics.getMetricsAsArray()) registry.registerMetric(processMetrics.getSingleMetric(name)!)
}
