import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { ApiError } from '../api/client.js'
import { ErrorAlert } from './alerts.js'

type Props = {
  title: string
  /** What confirming does, in a sentence the user reads before deciding. */
  consequence: string
  confirmLabel: string
  danger?: boolean
  /** Runs on confirm; the dialog closes when it resolves and shows the error when it throws. */
  onConfirm: () => Promise<void>
  onCancel: () => void
}

/**
 * A modal confirmation on the native <dialog>: it keeps focus inside, Escape cancels, and closing
 * returns focus to the button that opened it. Cancel comes first, so it has the initial focus.
 */
export const ConfirmDialog = ({ title, consequence, confirmLabel, danger = false, onConfirm, onCancel }: Props) => {
  const dialog = useRef<HTMLDialogElement>(null)
  const id = useId()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)

  useEffect(() => {
    const element = dialog.current
    element?.showModal()
    return () => element?.close()
  }, [])

  const confirm = async () => {
    setBusy(true)
    setError(null)
    try {
      await onConfirm()
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, 'CONSOLE_ERROR', (failure as Error).message))
      setBusy(false)
    }
  }

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-consequence`}
      onCancel={(event) => {
        event.preventDefault()
        if (!busy) onCancel()
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <p id={`${id}-consequence`}>{consequence}</p>
      {error && <ErrorAlert error={error} />}
      <div class="actions">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="button" class={danger ? 'primary danger' : 'primary'} onClick={confirm} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  )
}
