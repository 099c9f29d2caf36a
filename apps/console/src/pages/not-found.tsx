import { hrefs } from '../routing/routes.js'

export const NotFoundPage = () => (
  <>
    <h1>Page not found</h1>
    <p>
      This address names no page of the console. <a href={hrefs.experiments()}>Go to the experiments</a>.
    </p>
  </>
)
