import { formatDateTime, toUtcIso } from '../format.js'

/** A moment in the viewer's zone, its UTC ISO value on hover; a dash when there is none. */
export const Time = ({ value }: { value: string | null | undefined }) =>
  value ? (
    <time dateTime={toUtcIso(value)} title={toUtcIso(value)}>
      {formatDateTime(value)}
    </time>
  ) : (
    <span>—</span>
  )
