import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../api/client.js'

export type Loaded<T> = { state: 'loading' } | { state: 'ready'; data: T } | { state: 'failed'; error: ApiError }

const asApiError = (error: unknown) => (error instanceof ApiError ? error : new ApiError(0, 'CONSOLE_ERROR', (error as Error).message))

/**
 * Runs `load` whenever `key` changes (an id, a page) and holds its outcome; `reload` runs it again
 * keeping the current data on screen, `replace` puts an answer the page already has (an action's).
 */
export const useLoad = <T>(key: string, load: () => Promise<T>) => {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' })
  const latest = useRef(load)
  latest.current = load

  // `load` is a new closure on every render; `key` says when it reads something else.
  useEffect(() => {
    let current = true
    setLoaded({ state: 'loading' })
    latest.current().then(
      (data) => current && setLoaded({ state: 'ready', data }),
      (error: unknown) => current && setLoaded({ state: 'failed', error: asApiError(error) }),
    )
    return () => {
      current = false
    }
  }, [key])

  const reload = useCallback(
    () =>
      latest.current().then(
        (data) => setLoaded({ state: 'ready', data }),
        (error: unknown) => setLoaded({ state: 'failed', error: asApiError(error) }),
      ),
    [],
  )
  const replace = useCallback((data: T) => setLoaded({ state: 'ready', data }), [])
  return { loaded, reload, replace }
}
