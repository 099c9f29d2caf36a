import type { FastifyBaseLogger } from 'fastify'
import { Gauge, type LabelValues, type Registry } from 'prom-client'
import { withTimeout } from '../timeout.js'

/** A gauge's value for one set of labels (`{}` for a gauge without labels). */
export type GaugeReading<L extends string> = { labels: LabelValues<L>; value: number }

/** Well within Prometheus's default scrape timeout (10 s), so the rest of the scrape still arrives. */
const READ_TIMEOUT_MS = 2000

export type ScrapedGaugeOptions<L extends string> = {
  registry: Registry
  name: string
  help: string
  labelNames?: readonly L[]
  /** Every reading of the gauge now; the series the previous scrape read and this one does not are dropped. */
  read: () => Promise<GaugeReading<L>[]>
  log: FastifyBaseLogger
}

/**
 * A gauge read from a backing service (Redis) when Prometheus scrapes. A read that fails or takes
 * over 2 s is logged and leaves the gauge without a value (NaN without labels, no series with
 * them), neither a stale nor a zero one; it does not fail the scrape, whose process metrics
 * matter most while a dependency is away.
 */
export const scrapedGauge = <L extends string = never>({ registry, read, log, ...config }: ScrapedGaugeOptions<L>) =>
  new Gauge<L>({
    ...config,
    registers: [registry],
    async collect() {
      try {
        const readings = await withTimeout(read(), READ_TIMEOUT_MS)
        this.reset()
        for (const { labels, value } of readings) this.set(labels, value)
      } catch (err) {
        log.warn({ err, metric: config.name }, 'could not read a metric for /metrics; it has no value in this scrape')
        this.reset()
        if (!config.labelNames?.length) this.set(Number.NaN)
      }
    },
  })
