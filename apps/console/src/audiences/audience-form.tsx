import { useRef, useState } from 'preact/hooks'
import { ApiError, api } from '../api/client.js'
import type { Audience } from '../api/types.js'
import { hrefs } from '../routing/routes.js'
import { navigate } from '../routing/use-route.js'
import { Field, inputProps } from '../ui/field.js'
import { NO_ERRORS, type PlacedErrors, placeErrors } from '../ui/field-errors.js'

const FIELDS = ['/name', '/description', '/conditions']

type Props = { audience: Audience | null }

/** Creates an audience or edits one; conditions are a JSON object in GrowthBook's targeting grammar. */
export const AudienceForm = ({ audience }: Props) => {
  const [name, setName] = useState(audience?.name ?? '')
  const [description, setDescription] = useState(audience?.description ?? '')
  const [conditions, setConditions] = useState(audience ? JSON.stringify(audience.conditions, null, 2) : '{\n  "country": "DE"\n}')
  const [errors, setErrors] = useState<PlacedErrors>(NO_ERRORS)
  const [saving, setSaving] = useState(false)
  const [saved, setSaved] = useState<string | null>(null)
  const summary = useRef<HTMLDivElement>(null)
  const at = (pointer: string) => errors.atField[pointer]

  const showProblems = (placed: PlacedErrors) => {
    setErrors(placed)
    requestAnimationFrame(() => summary.current?.focus())
  }

  const submit = async (event: Event) => {
    event.preventDefault()
    setSaved(null)
    let parsed: unknown
    try {
      parsed = JSON.parse(conditions)
    } catch (error) {
      return showProblems({ atField: { '/conditions': `conditions is not valid JSON: ${(error as Error).message}` }, general: [] })
    }
    const body = { name, description: description.trim() === '' ? null : description, conditions: parsed }
    setSaving(true)
    try {
      if (audience) {
        await api.patch<{ data: Audience }>(`/api/audiences/${encodeURIComponent(audience.id)}`, body)
        setErrors(NO_ERRORS)
        setSaved('Audience saved.')
      } else {
        const { data } = await api.post<{ data: Audience }>('/api/audiences', body)
        navigate(hrefs.audience(data.id))
      }
    } catch (error) {
      showProblems(error instanceof ApiError ? placeErrors(error, FIELDS) : { atField: {}, general: [(error as Error).message] })
    } finally {
      setSaving(false)
    }
  }

  const failed = errors.general.length > 0 || Object.keys(errors.atField).length > 0
  return (
    <form onSubmit={submit} noValidate>
      <div ref={summary} tabIndex={-1} class={failed ? 'alert alert-error' : undefined} role={failed ? 'alert' : undefined}>
        {failed && (
          <>
            <p>The audience was not saved{Object.keys(errors.atField).length ? ': see the fields marked below.' : '.'}</p>
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
      <p class="status-message" role="status">
        {saved}
      </p>
      <Field id="audience-name" label="Name" error={at('/name')}>
        <input {...inputProps('audience-name', at('/name'))} value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field id="audience-description" label="Description (optional)" error={at('/description')}>
        <textarea
          {...inputProps('audience-description', at('/description'))}
          rows={2}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field
        id="audience-conditions"
        label="Conditions (JSON)"
        error={at('/conditions')}
        hint='Attributes a user must have, e.g. {"country": "DE", "age": {"$gte": 18}}; {} matches everyone.'
      >
        <textarea
          {...inputProps('audience-conditions', at('/conditions'), true)}
          class="code"
          rows={8}
          spellcheck={false}
          value={conditions}
          onInput={(e) => setConditions(e.currentTarget.value)}
        />
      </Field>
      <div class="actions">
        <a class="button" href={hrefs.audiences()}>
          Back to audiences
        </a>
        <button type="submit" class="primary" disabled={saving}>
          {saving ? 'Saving…' : audience ? 'Save changes' : 'Create audience'}
        </button>
      </div>
    </form>
  )
}
