import { api } from '../api/client.js'
import type { Audience, Page } from '../api/types.js'
import { AudienceForm } from '../audiences/audience-form.js'
import { can } from '../auth/session.js'
import { hrefs } from '../routing/routes.js'
import { ErrorAlert, Loading } from '../ui/alerts.js'
import { Pagination } from '../ui/pagination.js'
import { Time } from '../ui/time.js'
import { useLoad } from '../ui/use-load.js'

const PAGE_SIZE = 20

export const AudienceListPage = ({ pageNumber }: { pageNumber: number }) => {
  const { loaded } = useLoad(String(pageNumber), () => api.get<Page<Audience>>('/api/audiences', { page: pageNumber, limit: PAGE_SIZE }))
  return (
    <>
      <div class="page-header">
        <h1>Audiences</h1>
        {can('experiments:write') && (
          <a class="button primary" href={hrefs.newAudience()}>
            New audience
          </a>
        )}
      </div>
      {loaded.state === 'loading' && <Loading what="audiences" />}
      {loaded.state === 'failed' && <ErrorAlert error={loaded.error} />}
      {loaded.state === 'ready' && (
        <>
          {loaded.data.data.length === 0 ? (
            <p class="empty">No audiences yet.</p>
          ) : (
            <div class="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Conditions</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.data.data.map((audience) => (
                    <tr key={audience.id}>
                      <th scope="row">
                        <a href={hrefs.audience(audience.id)}>{audience.name}</a>
                        {audience.description && <span class="subtle"> {audience.description}</span>}
                      </th>
                      <td>
                        <code class="conditions">{JSON.stringify(audience.conditions)}</code>
                      </td>
                      <td>
                        <Time value={audience.updatedAt} />
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
            noun="audiences"
            hrefOf={(page) => hrefs.audiences(page)}
          />
        </>
      )}
    </>
  )
}

export const NewAudiencePage = () => (
  <>
    <p class="breadcrumb">
      <a href={hrefs.audiences()}>Audiences</a>
    </p>
    <h1>New audience</h1>
    {can('experiments:write') ? <AudienceForm audience={null} /> : <ErrorAlert error="This token may not create audiences: it lacks experiments:write." />}
  </>
)

/** An audience: its form when the token may write, else its conditions read-only. */
export const AudiencePage = ({ id }: { id: string }) => {
  const { loaded } = useLoad(id, () => api.get<{ data: Audience }>(`/api/audiences/${encodeURIComponent(id)}`))
  if (loaded.state === 'loading') return <Loading what="the audience" />
  if (loaded.state === 'failed') return <ErrorAlert error={loaded.error} />
  const audience = loaded.data.data
  return (
    <>
      <p class="breadcrumb">
        <a href={hrefs.audiences()}>Audiences</a>
      </p>
      <h1>{audience.name}</h1>
      {can('experiments:write') ? (
        <AudienceForm audience={audience} />
      ) : (
        <>
          {audience.description && <p class="description">{audience.description}</p>}
          <h2>Conditions</h2>
          <pre class="json">{JSON.stringify(audience.conditions, null, 2)}</pre>
        </>
      )}
    </>
  )
}
