import { useState } from 'preact/hooks'
import { api } from '../api/client.js'
import type { Experiment } from '../api/types.js'
import { ConfirmDialog } from '../ui/confirm-dialog.js'
import { actionRequest, actionsFor, describeAction, type ExperimentAnswer, type LifecycleAction } from './lifecycle.js'

type Props = { experiment: Experiment; onDone: (experiment: Experiment, message: string) => void }

/** A button per lifecycle action the experiment's status allows, each confirmed in a dialog naming its consequence. */
export const LifecycleButtons = ({ experiment, onDone }: Props) => {
  const [pending, setPending] = useState<LifecycleAction | null>(null)
  const actions = actionsFor(experiment.status)
  if (actions.length === 0) return null
  const text = pending && describeAction(pending, experiment.status)

  const perform = async (action: LifecycleAction) => {
    const { method, path } = actionRequest(action, experiment.id)
    const { data } = method === 'DELETE' ? await api.delete<ExperimentAnswer>(path) : await api.post<ExperimentAnswer>(path)
    setPending(null)
    onDone(data, describeAction(action, experiment.status).done)
  }

  return (
    <div class="lifecycle">
      {actions.map((action) => {
        const { label, danger } = describeAction(action, experiment.status)
        return (
          <button key={action} type="button" class={danger ? 'danger' : action === 'start' ? 'primary' : undefined} onClick={() => setPending(action)}>
            {label}
          </button>
        )
      })}
      {pending && text && (
        <ConfirmDialog
          title={text.title}
          consequence={text.consequence}
          confirmLabel={text.label}
          danger={text.danger}
          onConfirm={() => perform(pending)}
          onCancel={() => setPending(null)}
        />
      )}
    </div>
  )
}
