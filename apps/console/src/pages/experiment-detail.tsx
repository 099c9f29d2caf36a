import { useState } from 'preact/hooks'
import { api } from '../api/client.js'
import type { Audience, Experiment, RawResults } from '../api/types.js'
import { can } from '../auth/session.js'
import { LifecycleButtons } from '../experiments/lifecycle-buttons.js'
import { formatCount, formatDecimal } from '../format.js'
import { hrefs } from '../routing/routes.js'
import { ErrorAlert, Loading, StatusMessage } from '../ui/alerts.js'
import { StatusBadge } from '../ui/status-badge.js'
import { Time } from '../ui/time.js'
import { useLoad } from '../ui/use-load.js'

type Loaded = { experiment: Experiment; participants: Map<string, number> | null; audience: Audience | null }

const load = async (id: string): Promise<Loaded> => {
  const path = `/api/experiments/${encodeURIComponent(id)}`
  const { data: experiment } = await api.get<{ data: Experiment }>(path)
  // Live participants come with the raw results; the page is still useful without them.
  const [results, audience] = await Promise.all([
    api.get<{ data: RawResults }>(`${path}/results`).catch(() => null),
    experiment.audienceId ? api.get<{ data: Audience }>(`/api/audiences/${encodeURIComponent(experiment.audienceId)}`).catch(() => null) : null,
  ])
  const participants = results && new Map(results.data.variants.map((v) => [v.variantId, v.participants]))
  return { experiment, participants, audience: audience?.data ?? null }
}

const json = (value: unknown) => JSON.stringify(value, null, 2)

/** One experiment: its variants, audience, status and dates, live participants, and the lifecycle actions the token may take. */
export const ExperimentDetailPage = ({ id }: { id: string }) => {
  const { loaded, replace } = useLoad(id, () => load(id))
  const [message, setMessage] = useState<string | null>(null)

  if (loaded.state === 'loading') return <Loading what="the experiment" />
  if (loaded.state === 'failed') return <ErrorAlert error={loaded.error} />
  const { experiment, participants, audience } = loaded.data
  const writable = can('experiments:write')

  return (
    <>
      <p class="breadcrumb">
        <a href={hrefs.experiments()}>Experiments</a>
      </p>
      <div class="page-header">
        <h1>
          {experiment.name} <StatusBadge status={experiment.status} />
        </h1>
        <div class="header-links">
          <a class="button primary" href={hrefs.results(experiment.id)}>
            Results
          </a>
          {writable && experiment.status === 'draft' && (
            <a class="button" href={hrefs.editExperiment(experiment.id)}>
              Edit
            </a>
          )}
        </div>
      </div>
      {experiment.description && <p class="description">{experiment.description}</p>}
      {writable && (
        <LifecycleButtons
          experiment={experiment}
          onDone={(updated, done) => {
            replace({ ...loaded.data, experiment: updated })
            setMessage(done)
          }}
        />
      )}
      <StatusMessage message={message} />

      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>{experiment.status}</dd>
        </div>
        <div>
          <dt>Participants</dt>
          <dd>{formatCount(experiment._count.assignments)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time value={experiment.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <Time value={experiment.startDate} />
          </dd>
        </div>
        <div>
          <dt>Ends</dt>
          <dd>
            <Time value={experiment.endDate} />
          </dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <Time value={experiment.updatedAt} />
          </dd>
        </div>
        <div>
          <dt>ID</dt>
          <dd>
            <code>{experiment.id}</code>
          </dd>
        </div>
        <div>
          <dt>Hash seed</dt>
          <dd>
            <code>{experiment.seed}</code>
          </dd>
        </div>
      </dl>

      <h2>Variants</h2>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="number">
                Split
              </th>
              <th scope="col">Flow ID</th>
              <th scope="col" class="number">
                Participants
              </th>
              <th scope="col">Config</th>
            </tr>
          </thead>
          <tbody>
            {experiment.variants.map((variant) => (
              <tr key={variant.id}>
                <th scope="row">{variant.name}</th>
                <td class="number">{formatDecimal(variant.splitPercentage)} %</td>
                <td>{variant.flowId ? <code>{variant.flowId}</code> : '—'}</td>
                <td class="number">{participants ? formatCount(participants.get(variant.id) ?? 0) : '—'}</td>
                <td>{Object.keys(variant.config).length > 0 ? <pre class="json">{json(variant.config)}</pre> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {participants === null && <p class="hint">Participants per variant could not be read just now.</p>}

      <h2>Audience</h2>
      {experiment.audienceId === null ? (
        <p>Everyone: no audience restricts who is enrolled.</p>
      ) : audience ? (
        <>
          <p>
            <a href={hrefs.audience(audience.id)}>{audience.name}</a>
            {audience.description && ` — ${audience.description}`}
          </p>
          <pre class="json">{json(audience.conditions)}</pre>
        </>
      ) : (
        <p>
          <code>{experiment.audienceId}</code> (could not be read)
        </p>
      )}
    </>
  )
}
