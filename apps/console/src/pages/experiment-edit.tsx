import { api } from '../api/client.js'
import type { Audience, Experiment, Page } from '../api/types.js'
import { can } from '../auth/session.js'
import { draftOf, emptyDraft } from '../experiments/experiment-draft.js'
import { ExperimentForm } from '../experiments/experiment-form.js'
import { hrefs } from '../routing/routes.js'
import { ErrorAlert, Loading } from '../ui/alerts.js'
import { useLoad } from '../ui/use-load.js'

/** The audiences an experiment may target (the first 100, the API's largest page). */
const audienceChoices = async () => (await api.get<Page<Audience>>('/api/audiences', { limit: 100 })).data

const NoWriteScope = () => <ErrorAlert error="This token may not change experiments: it lacks the scope experiments:write." />

export const NewExperimentPage = () => {
  const { loaded } = useLoad('new', audienceChoices)
  return (
    <>
      <p class="breadcrumb">
        <a href={hrefs.experiments()}>Experiments</a>
      </p>
      <h1>New experiment</h1>
      {!can('experiments:write') ? (
        <NoWriteScope />
      ) : loaded.state === 'loading' ? (
        <Loading what="audiences" />
      ) : loaded.state === 'failed' ? (
        <ErrorAlert error={loaded.error} />
      ) : (
        <ExperimentForm mode="create" initial={emptyDraft()} audiences={loaded.data} />
      )}
    </>
  )
}

/** Edits a draft; any other status is shown as not editable, as the API would refuse it (409 NOT_IN_DRAFT). */
export const EditExperimentPage = ({ id }: { id: string }) => {
  const { loaded } = useLoad(id, async () => {
    const [{ data: experiment }, audiences] = await Promise.all([
      api.get<{ data: Experiment }>(`/api/experiments/${encodeURIComponent(id)}`),
      audienceChoices(),
    ])
    return { experiment, audiences }
  })
  if (loaded.state === 'loading') return <Loading what="the experiment" />
  if (loaded.state === 'failed') return <ErrorAlert error={loaded.error} />
  const { experiment, audiences } = loaded.data
  return (
    <>
      <p class="breadcrumb">
        <a href={hrefs.experiments()}>Experiments</a> › <a href={hrefs.experiment(experiment.id)}>{experiment.name}</a>
      </p>
      <h1>Edit {experiment.name}</h1>
      {!can('experiments:write') ? (
        <NoWriteScope />
      ) : experiment.status !== 'draft' ? (
        <ErrorAlert error={`Only drafts can be edited, and this experiment is ${experiment.status}.`} />
      ) : (
        <ExperimentForm mode="edit" initial={draftOf(experiment)} experimentId={experiment.id} audiences={audiences} />
      )}
    </>
  )
}
