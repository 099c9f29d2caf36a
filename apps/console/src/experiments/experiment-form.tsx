import { useRef, useState } from 'preact/hooks'
import { ApiError, api } from '../api/client.js'
import type { Audience, Experiment } from '../api/types.js'
import { formatDecimal } from '../format.js'
import { hrefs } from '../routing/routes.js'
import { navigate } from '../routing/use-route.js'
import { Field, inputProps } from '../ui/field.js'
import { NO_ERRORS, type PlacedErrors, placeErrors } from '../ui/field-errors.js'
import { bodyOf, type ExperimentDraft, fieldPointers, newVariant, splitTotal, type VariantDraft } from './experiment-draft.js'

const MAX_VARIANTS = 20
const MIN_VARIANTS = 2

type Props = { mode: 'create' | 'edit'; initial: ExperimentDraft; experimentId?: string; audiences: Audience[] }

/** Creates an experiment or edits a draft; the API's validation messages appear at the fields they name. */
export const ExperimentForm = ({ mode, initial, experimentId, audiences }: Props) => {
  const [draft, setDraft] = useState(initial)
  const [errors, setErrors] = useState<PlacedErrors>(NO_ERRORS)
  const [saving, setSaving] = useState(false)
  const summary = useRef<HTMLDivElement>(null)
  const at = (pointer: string) => errors.atField[pointer]

  const set = (fields: Partial<ExperimentDraft>) => setDraft({ ...draft, ...fields })
  const setVariant = (key: number, fields: Partial<VariantDraft>) => set({ variants: draft.variants.map((v) => (v.key === key ? { ...v, ...fields } : v)) })

  const showProblems = (placed: PlacedErrors) => {
    setErrors(placed)
    // Focus the summary so keyboard and screen-reader users learn at once that the form was not saved.
    requestAnimationFrame(() => summary.current?.focus())
  }

  const submit = async (event: Event) => {
    event.preventDefault()
    const built = bodyOf(draft, mode)
    if ('problems' in built) return showProblems(placeErrors(new ApiError(400, 'VALIDATION_FAILED', '', built.problems), fieldPointers(draft)))
    setSaving(true)
    try {
      const { data } =
        mode === 'create'
          ? await api.post<{ data: Experiment }>('/api/experiments', built.body)
          : await api.patch<{ data: Experiment }>(`/api/experiments/${encodeURIComponent(experimentId!)}`, built.body)
      navigate(hrefs.experiment(data.id))
    } catch (error) {
      setSaving(false)
      showProblems(error instanceof ApiError ? placeErrors(error, fieldPointers(draft)) : { atField: {}, general: [(error as Error).message] })
    }
  }

  const total = splitTotal(draft)
  const failed = errors.general.length > 0 || Object.keys(errors.atField).length > 0

  return (
    <form class="experiment-form" onSubmit={submit} noValidate>
      <div ref={summary} tabIndex={-1} class={failed ? 'alert alert-error' : undefined} role={failed ? 'alert' : undefined}>
        {failed && (
          <>
            <p>The experiment was not saved{Object.keys(errors.atField).length ? ': see the fields marked below.' : '.'}</p>
            {errors.general.length > 0 && (
              <ul>
                {errors.general.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>

      <Field id="name" label="Name" error={at('/name')}>
        <input {...inputProps('name', at('/name'))} value={draft.name} maxLength={200} onInput={(e) => set({ name: e.currentTarget.value })} />
      </Field>
      <Field id="description" label="Description (optional)" error={at('/description')}>
        <textarea
          {...inputProps('description', at('/description'))}
          rows={3}
          value={draft.description}
          onInput={(e) => set({ description: e.currentTarget.value })}
        />
      </Field>
      <div class="field-row">
        <Field id="audience" label="Audience" error={at('/audienceId')} hint="Who may be enrolled; everyone when none.">
          <select {...inputProps('audience', at('/audienceId'), true)} value={draft.audienceId} onChange={(e) => set({ audienceId: e.currentTarget.value })}>
            <option value="">Everyone (no audience)</option>
            {audiences.map((audience) => (
              <option key={audience.id} value={audience.id}>
                {audience.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="end-date" label="End date (optional)" error={at('/endDate')} hint="In your time zone; the experiment completes itself then.">
          <input
            {...inputProps('end-date', at('/endDate'), true)}
            type="datetime-local"
            value={draft.endDate}
            onInput={(e) => set({ endDate: e.currentTarget.value })}
          />
        </Field>
        {mode === 'create' && (
          <Field id="seed" label="Hash seed (optional)" error={at('/seed')} hint="Bucketing seed; the experiment's id when empty.">
            <input {...inputProps('seed', at('/seed'), true)} value={draft.seed} onInput={(e) => set({ seed: e.currentTarget.value })} />
          </Field>
        )}
      </div>

      <fieldset class="variants" aria-describedby="split-total">
        <legend>Variants</legend>
        {at('/variants') && <p class="field-error">{at('/variants')}</p>}
        {draft.variants.map((variant, index) => {
          const base = `variant-${variant.key}`
          const row = `/variants/${index}`
          return (
            <fieldset class="variant-row" key={variant.key}>
              <legend class="sr-only">Variant {index + 1}</legend>
              {at(row) && <p class="field-error">{at(row)}</p>}
              <Field id={`${base}-name`} label={`Variant ${index + 1} name`} error={at(`${row}/name`)}>
                <input
                  {...inputProps(`${base}-name`, at(`${row}/name`))}
                  value={variant.name}
                  onInput={(e) => setVariant(variant.key, { name: e.currentTarget.value })}
                />
              </Field>
              <Field id={`${base}-split`} label="Split %" error={at(`${row}/splitPercentage`)}>
                <input
                  {...inputProps(`${base}-split`, at(`${row}/splitPercentage`))}
                  type="number"
                  inputMode="decimal"
                  min={0}
                  max={100}
                  step={0.01}
                  value={variant.split}
                  onInput={(e) => setVariant(variant.key, { split: e.currentTarget.value })}
                />
              </Field>
              <Field id={`${base}-flow`} label="Flow ID (optional)" error={at(`${row}/flowId`)}>
                <input
                  {...inputProps(`${base}-flow`, at(`${row}/flowId`))}
                  value={variant.flowId}
                  onInput={(e) => setVariant(variant.key, { flowId: e.currentTarget.value })}
                />
              </Field>
              <Field id={`${base}-config`} label="Config (JSON object, optional)" error={at(`${row}/config`)}>
                <textarea
                  {...inputProps(`${base}-config`, at(`${row}/config`))}
                  class="code"
                  rows={2}
                  spellcheck={false}
                  placeholder="{}"
                  value={variant.config}
                  onInput={(e) => setVariant(variant.key, { config: e.currentTarget.value })}
                />
              </Field>
              {draft.variants.length > MIN_VARIANTS && (
                <button type="button" class="remove" onClick={() => set({ variants: draft.variants.filter((v) => v.key !== variant.key) })}>
                  Remove variant {index + 1}
                </button>
              )}
            </fieldset>
          )
        })}
        <p id="split-total" class={total === 100 ? 'hint' : 'hint warning-text'} aria-live="polite">
          Splits add up to {formatDecimal(total)} %{total === 100 ? '.' : '; they must add up to 100 %.'}
        </p>
        {draft.variants.length < MAX_VARIANTS && (
          <button type="button" onClick={() => set({ variants: [...draft.variants, newVariant({ name: `Variant ${draft.variants.length + 1}` })] })}>
            Add variant
          </button>
        )}
      </fieldset>

      <div class="actions">
        <a class="button" href={experimentId ? hrefs.experiment(experimentId) : hrefs.experiments()}>
          Cancel
        </a>
        <button type="submit" class="primary" disabled={saving}>
          {saving ? 'Saving…' : mode === 'create' ? 'Create experiment' : 'Save changes'}
        </button>
      </div>
    </form>
  )
}
