import type { RawResults } from '../api/types.js'
import { formatCount, formatDecimal } from '../format.js'

/** Every metric that has counts, attributed or not. */
export const metricsOf = (raw: RawResults) =>
  [...new Set([...raw.variants.flatMap((v) => v.results.map((r) => r.metric)), ...raw.unattributed.map((u) => u.metric)])].sort()

/** Participants and per-metric counts per variant as stored, plus what could not be attributed. */
export const RawCounts = ({ raw }: { raw: RawResults }) => {
  const metrics = metricsOf(raw)
  return (
    <>
      <div class="table-scroll">
        <table>
          <caption>Participants and converting users (events) per metric</caption>
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col" class="number">
                Split
              </th>
              <th scope="col" class="number">
                Participants
              </th>
              {metrics.map((metric) => (
                <th scope="col" class="number" key={metric}>
                  <code>{metric}</code>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {raw.variants.map((v) => (
              <tr key={v.variantId}>
                <th scope="row">{v.variantName}</th>
                <td class="number">{formatDecimal(v.splitPercentage)} %</td>
                <td class="number">{formatCount(v.participants)}</td>
                {metrics.map((metric) => {
                  const counts = v.results.find((r) => r.metric === metric)
                  return (
                    <td class="number" key={metric}>
                      {counts ? `${formatCount(counts.conversions)} (${formatCount(counts.events)})` : '0'}
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Unattributed conversions</h3>
      {raw.unattributed.length === 0 ? (
        <p>None: every conversion belongs to an assigned user's variant.</p>
      ) : (
        <div class="table-scroll">
          <table class="unattributed">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" class="number">
                  Users never assigned
                </th>
                <th scope="col" class="number">
                  Before assignment
                </th>
              </tr>
            </thead>
            <tbody>
              {raw.unattributed.map((u) => (
                <tr key={u.metric}>
                  <th scope="row">
                    <code>{u.metric}</code>
                  </th>
                  <td class="number">{formatCount(u.notAssigned)}</td>
                  <td class="number">{formatCount(u.beforeAssignment)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p>
        Exposure mismatches (SDK-reported variant differs from the recorded one):{' '}
        {raw.exposureMismatches === null ? `unknown (${raw.exposureMismatchesUnavailable ?? 'not readable just now'})` : formatCount(raw.exposureMismatches)}
      </p>
    </>
  )
}
