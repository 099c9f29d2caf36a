import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from '../api/client.js'
import type { ComputedResults, ComputeOptions, Page, RawResults, Snapshot } from '../api/types.js'
import { formatDecimal, formatLevel, formatProbability } from '../format.js'
import { LiftChart } from '../results/lift-chart.js'
import { metricsOf, RawCounts } from '../results/raw-counts.js'
import { ResultsTable } from '../results/results-table.js'
import { SnapshotList } from '../results/snapshot-list.js'
import { hrefs } from '../routing/routes.js'
import { ErrorAlert, Loading, WarningBanner } from '../ui/alerts.js'
import { StatusBadge } from '../ui/status-badge.js'
import { Time } from '../ui/time.js'
import { useLoad } from '../ui/use-load.js'

const DEFAULT_METRIC = 'conversion'
const CONFIDENCE_LEVELS = [0.9, 0.95, 0.99]
const SNAPSHOTS_PER_PAGE = 10

/** The statistics on screen: computed just now, or a stored snapshot's. */
type Shown = { result: ComputedResults; metric: string; computedAt: string | null }

const ComputedView = ({ shown }: { shown: Shown }) => {
  const { srm } = shown.result
  return (
    <>
      {srm?.detected && (
        <WarningBanner title="Sample ratio mismatch.">
          The users per variant do not match the splits (χ² = {formatDecimal(srm.chiSquare)}, p = {formatProbability(srm.pValue)}): assignment or tracking is
          losing users unevenly, so these figures may be biased. Find the cause before acting on them.
        </WarningBanner>
      )}
      <p class="subtle">
        {shown.computedAt ? (
          <>
            Snapshot computed <Time value={shown.computedAt} />
          </>
        ) : (
          'Computed just now'
        )}{' '}
        · snapshot <code>{shown.result.snapshotId}</code>
      </p>
      <ResultsTable result={shown.result} metric={shown.metric} />
      <LiftChart result={shown.result} />
    </>
  )
}

/** An experiment's results: raw counts, the statistics of a metric computed on demand, and past snapshots. */
export const ResultsPage = ({ id }: { id: string }) => {
  const path = `/api/experiments/${encodeURIComponent(id)}`
  const raw = useLoad(id, () => api.get<{ data: RawResults }>(`${path}/results`))
  const [snapshotPage, setSnapshotPage] = useState(1)
  const snapshots = useLoad(`${id}:${snapshotPage}`, () => api.get<Page<Snapshot>>(`${path}/snapshots`, { page: snapshotPage, limit: SNAPSHOTS_PER_PAGE }))
  const [options, setOptions] = useState<ComputeOptions>({ metric: DEFAULT_METRIC, confidenceLevel: 0.95 })
  const [shown, setShown] = useState<Shown | null>(null)
  const [computing, setComputing] = useState(false)
  const [computeError, setComputeError] = useState<ApiError | null>(null)

  // Opening the page shows the newest snapshot, if there is one, until something else is asked for.
  const newest = snapshots.loaded.state === 'ready' && snapshotPage === 1 ? snapshots.loaded.data.data[0] : undefined
  useEffect(() => {
    if (newest) setShown((current) => current ?? { result: newest.result, metric: newest.metric, computedAt: newest.createdAt })
  }, [newest])

  if (raw.loaded.state === 'loading') return <Loading what="results" />
  if (raw.loaded.state === 'failed') return <ErrorAlert error={raw.loaded.error} />
  const results = raw.loaded.data.data
  const metrics = [...new Set([DEFAULT_METRIC, ...metricsOf(results)])]
  const variantNames = new Map(results.variants.map((v) => [v.variantId, v.variantName]))

  const compute = async (event: Event) => {
    event.preventDefault()
    setComputing(true)
    setComputeError(null)
    try {
      const { data } = await api.post<{ data: ComputedResults }>(`${path}/compute-results`, options)
      setShown({ result: data, metric: options.metric, computedAt: null })
      await raw.reload()
      // The new snapshot is the newest: on the first page.
      if (snapshotPage === 1) await snapshots.reload()
      else setSnapshotPage(1)
    } catch (error) {
      setComputeError(error instanceof ApiError ? error : new ApiError(0, 'CONSOLE_ERROR', (error as Error).message))
    } finally {
      setComputing(false)
    }
  }

  return (
    <>
      <p class="breadcrumb">
        <a href={hrefs.experiments()}>Experiments</a> › <a href={hrefs.experiment(id)}>{results.name}</a>
      </p>
      <div class="page-header">
        <h1>
          Results: {results.name} <StatusBadge status={results.status} />
        </h1>
      </div>
      <p class="subtle">
        Started <Time value={results.startDate} /> · ends <Time value={results.endDate} />
      </p>

      <section aria-labelledby="statistics">
        <h2 id="statistics">Statistics</h2>
        <form class="compute" onSubmit={compute}>
          <div class="field">
            <label for="metric">Metric</label>
            <select id="metric" value={options.metric} onChange={(e) => setOptions({ ...options, metric: e.currentTarget.value })}>
              {metrics.map((metric) => (
                <option key={metric} value={metric}>
                  {metric}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="confidence">Confidence level</label>
            <select
              id="confidence"
              value={options.confidenceLevel}
              onChange={(e) => setOptions({ ...options, confidenceLevel: Number(e.currentTarget.value) })}
            >
              {CONFIDENCE_LEVELS.map((level) => (
                <option key={level} value={level}>
                  {formatLevel(level)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="control">Control</label>
            <select
              id="control"
              value={options.controlVariantId ?? ''}
              onChange={(e) => {
                const { controlVariantId: _, ...rest } = options
                setOptions(e.currentTarget.value ? { ...rest, controlVariantId: e.currentTarget.value } : rest)
              }}
            >
              {results.variants.map((v, index) => (
                <option key={v.variantId} value={index === 0 ? '' : v.variantId}>
                  {v.variantName}
                  {index === 0 ? ' (first variant)' : ''}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary" disabled={computing}>
            {computing ? 'Computing…' : 'Compute now'}
          </button>
        </form>
        {computeError && <ErrorAlert error={computeError} />}
        {shown ? <ComputedView shown={shown} /> : <p>Nothing computed yet: choose a metric and compute.</p>}
      </section>

      <section aria-labelledby="counts">
        <h2 id="counts">Counts</h2>
        <RawCounts raw={results} />
      </section>

      <section aria-labelledby="snapshots">
        <h2 id="snapshots">Snapshots</h2>
        {snapshots.loaded.state === 'loading' && <Loading what="snapshots" />}
        {snapshots.loaded.state === 'failed' && <ErrorAlert error={snapshots.loaded.error} />}
        {snapshots.loaded.state === 'ready' && (
          <>
            <SnapshotList
              page={snapshots.loaded.data}
              variantNames={variantNames}
              shownId={shown?.result.snapshotId ?? null}
              onShow={(snapshot) => setShown({ result: snapshot.result, metric: snapshot.metric, computedAt: snapshot.createdAt })}
            />
            {snapshots.loaded.data.meta.totalPages > 1 && (
              <nav class="pagination" aria-label="Snapshot pages">
                <button type="button" disabled={snapshotPage <= 1} onClick={() => setSnapshotPage(snapshotPage - 1)}>
                  Newer
                </button>
                <span>
                  Page {snapshotPage} of {snapshots.loaded.data.meta.totalPages}
                </span>
                <button type="button" disabled={snapshotPage >= snapshots.loaded.data.meta.totalPages} onClick={() => setSnapshotPage(snapshotPage + 1)}>
                  Older
                </button>
              </nav>
            )}
          </>
        )}
      </section>
    </>
  )
}
