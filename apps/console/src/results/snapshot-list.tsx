import type { Page, Snapshot } from '../api/types.js'
import { formatLevel } from '../format.js'
import { Time } from '../ui/time.js'

type Props = { page: Page<Snapshot>; variantNames: Map<string, string>; shownId: string | null; onShow: (snapshot: Snapshot) => void }

/** Past computations, newest first, with the options they ran with; each can be shown again. */
export const SnapshotList = ({ page, variantNames, shownId, onShow }: Props) =>
  page.data.length === 0 ? (
    <p>No computations yet: "Compute now" stores the first.</p>
  ) : (
    <div class="table-scroll">
      <table class="snapshots">
        <thead>
          <tr>
            <th scope="col">Computed</th>
            <th scope="col">Metric</th>
            <th scope="col" class="number">
              Confidence
            </th>
            <th scope="col">Control</th>
            <th scope="col">Method</th>
            <th scope="col">Engine</th>
            <th scope="col">
              <span class="sr-only">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {page.data.map((snapshot) => {
            const control = snapshot.options.controlVariantId ?? snapshot.result.controlVariantId
            return (
              <tr key={snapshot.id} aria-current={snapshot.id === shownId ? 'true' : undefined}>
                <td>
                  <Time value={snapshot.createdAt} />
                </td>
                <td>
                  <code>{snapshot.metric}</code>
                </td>
                <td class="number">{formatLevel(snapshot.options.confidenceLevel ?? snapshot.result.confidenceLevel)}</td>
                <td>{variantNames.get(control) ?? control}</td>
                <td>{snapshot.method}</td>
                <td>{snapshot.engineVersion}</td>
                <td>
                  {snapshot.id === shownId ? (
                    <span class="subtle">shown</span>
                  ) : (
                    <button type="button" class="small" onClick={() => onShow(snapshot)}>
                      Show
                    </button>
                  )}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
