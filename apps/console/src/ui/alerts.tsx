import type { ComponentChildren } from 'preact'
import type { ApiError } from '../api/client.js'

/** What went wrong, in the API's words (never the raw envelope). */
export const ErrorAlert = ({ error }: { error: ApiError | string }) => (
  <div class="alert alert-error" role="alert">
    {typeof error === 'string' ? error : error.message}
  </div>
)

export const WarningBanner = ({ title, children }: { title: string; children: ComponentChildren }) => (
  <div class="alert alert-warning" role="alert">
    <strong>{title}</strong> {children}
  </div>
)

/** A polite announcement of something done ("Experiment stopped."). */
export const StatusMessage = ({ message }: { message: string | null }) => (
  <p class="status-message" role="status">
    {message}
  </p>
)

export const Loading = ({ what }: { what: string }) => (
  <p class="loading" aria-busy="true">
    Loading {what}…
  </p>
)
