import { useEffect, useState } from 'preact/hooks'
import { parseHash, type Route } from './routes.js'

/** The current route, re-rendering the component when the hash changes. */
export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseHash(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return route
}

export const navigate = (href: string) => {
  location.hash = href
}
