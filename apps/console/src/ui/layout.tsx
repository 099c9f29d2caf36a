import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import { can, type Session, signOut } from '../auth/session.js'
import { formatDateTime, toUtcIso } from '../format.js'
import type { Route } from '../routing/routes.js'
import { hrefs } from '../routing/routes.js'

type Props = { session: Session; route: Route; children: ComponentChildren }

const section = (route: Route) => (route.page.startsWith('audience') ? 'audiences' : 'experiments')

/** The header (navigation, who is signed in, sign-out) around a page; focus moves to the page when the route changes. */
export const Layout = ({ session, route, children }: Props) => {
  const main = useRef<HTMLElement>(null)
  const { tenantId, expiresAt } = session.claims
  const current = section(route)

  // Focus moves to the new page on every route change, as a page load would move it.
  useEffect(() => {
    main.current?.focus({ preventScroll: true })
  }, [route])

  return (
    <>
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href={hrefs.experiments()}>
          Experiments
        </a>
        <nav aria-label="Sections">
          <a href={hrefs.experiments()} aria-current={current === 'experiments' ? 'page' : undefined}>
            Experiments
          </a>
          <a href={hrefs.audiences()} aria-current={current === 'audiences' ? 'page' : undefined}>
            Audiences
          </a>
        </nav>
        <div class="account">
          <span title={expiresAt ? `token expires ${toUtcIso(expiresAt)}` : undefined}>
            {tenantId ?? 'unknown tenant'}
            {!can('experiments:write') && <span class="badge badge-readonly">read-only</span>}
          </span>
          {expiresAt && <span class="sr-only">Token expires {formatDateTime(expiresAt)}</span>}
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  )
}
