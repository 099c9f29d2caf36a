import { api } from '../api/client.js'
import { EXPERIMENT_STATUSES, type ExperimentStatus, type ExperimentSummary, type Page } from '../api/types.js'
import { can } from '../auth/session.js'
import { formatCount } from '../format.js'
import { hrefs } from '../routing/routes.js'
import { navigate } from '../routing/use-route.js'
import { ErrorAlert, Loading } from '../ui/alerts.js'
import { Pagination } from '../ui/pagination.js'
import { StatusBadge } from '../ui/status-badge.js'
import { Time } from '../ui/time.js'
import { useLoad } from '../ui/use-load.js'

const PAGE_SIZE = 20

type Props = { status: ExperimentStatus | undefined; pageNumber: number }

/** The experiments, newest first, filtered by status and paged as the API pages them. */
export const ExperimentListPage = ({ status, pageNumber }: Props) => {
  const { loaded } = useLoad(`${status}:${pageNumber}`, () =>
    api.get<Page<ExperimentSummary>>('/api/experiments', { status, page: pageNumber, limit: PAGE_SIZE }),
  )

  return (
    <>
      <div class="page-header">
        <h1>Experiments</h1>
        {can('experiments:write') && (
          <a class="button primary" href={hrefs.newExperiment()}>
            New experiment
          </a>
        )}
      </div>
      <div class="filters">
        <label for="status-filter">Status</label>
        <select
          id="status-filter"
          value={status ?? ''}
          onChange={(event) => navigate(hrefs.experiments({ status: (event.currentTarget.value || undefined) as ExperimentStatus | undefined }))}
        >
          <option value="">All but archived</option>
          {EXPERIMENT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      {loaded.state === 'loading' && <Loading what="experiments" />}
      {loaded.state === 'failed' && <ErrorAlert error={loaded.error} />}
      {loaded.state === 'ready' && (
        <>
          {loaded.data.data.length === 0 ? (
            <p class="empty">{status ? `No ${status} experiments.` : 'No experiments yet.'}</p>
          ) : (
            <div class="table-scroll">
              <table class="experiments">
                <caption class="sr-only">Experiments, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="number">
                      Variants
                    </th>
                    <th scope="col" class="number">
                      Participants
                    </th>
                    <th scope="col">Started</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.data.data.map((experiment) => (
                    <tr key={experiment.id}>
                      <th scope="row">
                        <a href={hrefs.experiment(experiment.id)}>{experiment.name}</a>
                      </th>
                      <td>
                        <StatusBadge status={experiment.status} />
                      </td>
                      <td class="number">{formatCount(experiment.variants.length)}</td>
                      <td class="number">{formatCount(experiment._count.assignments)}</td>
                      <td>
                        <Time value={experiment.startDate} />
                      </td>
                      <td>
                        <Time value={experiment.createdAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pagination
            page={loaded.data.meta.page}
            totalPages={loaded.data.meta.totalPages}
            total={loaded.data.meta.total}
            noun="experiments"
            hrefOf={(page) => hrefs.experiments({ status, page })}
          />
        </>
      )}
    </>
  )
}
