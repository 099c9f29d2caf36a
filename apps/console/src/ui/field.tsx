import type { ComponentChildren } from 'preact'

/** The accessibility attributes of the input of a Field with this `id` (`hasHint` when the Field has a hint). */
export const inputProps = (id: string, error: string | undefined, hasHint = false) => {
  const describedBy = [hasHint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return { id, 'aria-invalid': error ? ('true' as const) : undefined, 'aria-describedby': describedBy || undefined }
}

type Props = { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren }

/** A labelled input with its hint and, when the API named this field, its error (give the input inputProps). */
export const Field = ({ id, label, error, hint, children }: Props) => (
  <div class={error ? 'field field-invalid' : 'field'}>
    <label for={id}>{label}</label>
    {children}
    {hint && (
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
    )}
    {error && (
      <p class="field-error" id={`${id}-error`}>
        {error}
      </p>
    )}
  </div>
)
