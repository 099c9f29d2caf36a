import type { ComputedResults, ComputedVariant, Interval } from '../api/types.js'
import { formatCount, formatInterval, formatLevel, formatPercent, formatProbability, formatSignedPercent, formatSignedPoints } from '../format.js'

const Estimate = ({ value, interval, format }: { value: number | null; interval: Interval | null; format: (n: number) => string }) =>
  value === null ? (
    <span>—</span>
  ) : (
    <>
      <span class="estimate">{format(value)}</span>
      {interval && <span class="interval">{formatInterval(interval, format)}</span>}
    </>
  )

const significance = (v: ComputedVariant) => {
  if (v.isControl) return 'control'
  if (v.significant === null) return '—'
  return v.significant ? 'Yes' : 'No'
}

/** The statistics of one metric per variant: rates and lifts with their intervals, p-values, chance to win, significance after correction. */
export const ResultsTable = ({ result, metric }: { result: ComputedResults; metric: string }) => {
  const level = formatLevel(result.confidenceLevel)
  return (
    <div class="table-scroll">
      <table class="results">
        <caption>
          Metric <code>{metric}</code>, {level} intervals; lifts against the control
        </caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col" class="number">
              Users
            </th>
            <th scope="col" class="number">
              Conversions
            </th>
            <th scope="col" class="number">
              Conversion rate
            </th>
            <th scope="col" class="number">
              Relative lift
            </th>
            <th scope="col" class="number">
              Absolute lift
            </th>
            <th scope="col" class="number">
              p-value <span class="subtle">(Holm-adjusted)</span>
            </th>
            <th scope="col" class="number">
              Chance to beat control
            </th>
            <th scope="col">Significant</th>
          </tr>
        </thead>
        <tbody>
          {result.variants.map((v) => (
            <tr key={v.variantId} class={v.isControl ? 'control' : undefined}>
              <th scope="row">{v.variantName}</th>
              <td class="number">{formatCount(v.sampleSize)}</td>
              <td class="number">{formatCount(v.conversions)}</td>
              <td class="number">
                <Estimate value={v.conversionRate} interval={v.conversionRateInterval} format={formatPercent} />
              </td>
              <td class="number">
                <Estimate value={v.relativeLift} interval={v.relativeLiftInterval} format={formatSignedPercent} />
              </td>
              <td class="number">
                <Estimate value={v.absoluteLift} interval={v.absoluteLiftInterval} format={formatSignedPoints} />
              </td>
              <td class="number">
                {v.pValue === null ? (
                  '—'
                ) : (
                  <>
                    <span class="estimate">{formatProbability(v.pValue)}</span>
                    {v.adjustedPValue !== null && <span class="interval">{formatProbability(v.adjustedPValue)}</span>}
                  </>
                )}
              </td>
              <td class="number">{v.probabilityToBeatControl === null ? '—' : formatPercent(v.probabilityToBeatControl)}</td>
              <td class={v.significant ? 'significant' : undefined}>{significance(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
