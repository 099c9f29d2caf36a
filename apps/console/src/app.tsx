import { useEffect } from 'preact/hooks'
import { useSession } from './auth/session.js'
import { AudienceListPage, AudiencePage, NewAudiencePage } from './pages/audiences.js'
import { ExperimentDetailPage } from './pages/experiment-detail.js'
import { EditExperimentPage, NewExperimentPage } from './pages/experiment-edit.js'
import { ExperimentListPage } from './pages/experiment-list.js'
import { NotFoundPage } from './pages/not-found.js'
import { ResultsPage } from './pages/results.js'
import { SignInPage } from './pages/sign-in.js'
import { hrefs, type Route } from './routing/routes.js'
import { navigate, useRoute } from './routing/use-route.js'
import { Layout } from './ui/layout.js'

const PageOf = ({ route }: { route: Route }) => {
  switch (route.page) {
    case 'experiments':
      return <ExperimentListPage status={route.status} pageNumber={route.pageNumber} />
    case 'experiment-new':
      return <NewExperimentPage />
    case 'experiment':
      return <ExperimentDetailPage key={route.id} id={route.id} />
    case 'experiment-edit':
      return <EditExperimentPage key={route.id} id={route.id} />
    case 'results':
      return <ResultsPage key={route.id} id={route.id} />
    case 'audiences':
      return <AudienceListPage pageNumber={route.pageNumber} />
    case 'audience-new':
      return <NewAudiencePage />
    case 'audience-edit':
      return <AudiencePage key={route.id} id={route.id} />
    case 'sign-in':
    case 'not-found':
      return <NotFoundPage />
  }
}

/** Signed out, every address shows the sign-in page (and the page asked for follows sign-in); signed in, the route's page. */
export const App = () => {
  const { session, notice } = useSession()
  const route = useRoute()

  useEffect(() => {
    if (session && route.page === 'sign-in') navigate(hrefs.experiments())
  }, [session, route])

  if (!session) return <SignInPage notice={notice} />
  return (
    <Layout session={session} route={route}>
      <PageOf route={route} />
    </Layout>
  )
}
