import { render } from 'preact'
import { App } from './app.js'
import { restoreSession, signIn, signOut } from './auth/session.js'
import { hrefs } from './routing/routes.js'
import './styles.css'

/**
 * `npm start` prints a sign-in link `/#token=<jwt>`: take the token, then drop it from the address
 * bar and the history, so it is neither bookmarked nor shared by copying the URL.
 */
const signInFromLink = () => {
  const match = /^#token=(.+)$/.exec(location.hash)
  if (!match?.[1]) return false
  const problem = signIn(decodeURIComponent(match[1]))
  if (problem) signOut(problem)
  history.replaceState(null, '', `${location.pathname}${location.search}${problem ? hrefs.signIn() : hrefs.experiments()}`)
  return true
}

if (!signInFromLink()) restoreSession()
render(<App />, document.getElementById('app')!)
