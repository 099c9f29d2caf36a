import { EXPERIMENT_STATUSES, type ExperimentStatus } from '../api/types.js'

/** The console's pages, addressed by the URL's hash: the server only ever serves index.html. */
export type Route =
  | { page: 'sign-in' }
  | { page: 'experiments'; status: ExperimentStatus | undefined; pageNumber: number }
  | { page: 'experiment-new' }
  | { page: 'experiment'; id: string }
  | { page: 'experiment-edit'; id: string }
  | { page: 'results'; id: string }
  | { page: 'audiences'; pageNumber: number }
  | { page: 'audience-new' }
  | { page: 'audience-edit'; id: string }
  | { page: 'not-found' }

const pageNumberOf = (search: URLSearchParams) => {
  const value = Number(search.get('page'))
  return Number.isInteger(value) && value >= 1 ? value : 1
}

const statusOf = (search: URLSearchParams) => EXPERIMENT_STATUSES.find((status) => status === search.get('status'))

/** The route a hash (`#/experiments/exp_1/results`) names. */
export const parseHash = (hash: string): Route => {
  const [path = '', queryText = ''] = hash.replace(/^#/, '').split('?', 2)
  const search = new URLSearchParams(queryText)
  let parts: string[]
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  } catch {
    return { page: 'not-found' }
  }
  const [section, id, sub] = parts
  if (parts.length === 0) return { page: 'experiments', status: undefined, pageNumber: 1 }
  if (section === 'sign-in' && parts.length === 1) return { page: 'sign-in' }
  if (section === 'experiments') {
    if (id === undefined) return { page: 'experiments', status: statusOf(search), pageNumber: pageNumberOf(search) }
    if (id === 'new' && sub === undefined) return { page: 'experiment-new' }
    if (sub === undefined) return { page: 'experiment', id }
    if (sub === 'edit' && parts.length === 3) return { page: 'experiment-edit', id }
    if (sub === 'results' && parts.length === 3) return { page: 'results', id }
  }
  if (section === 'audiences') {
    if (id === undefined) return { page: 'audiences', pageNumber: pageNumberOf(search) }
    if (id === 'new' && sub === undefined) return { page: 'audience-new' }
    if (sub === undefined) return { page: 'audience-edit', id }
  }
  return { page: 'not-found' }
}

const withQuery = (path: string, params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== 1) search.set(name, String(value))
  const text = search.toString()
  return text ? `${path}?${text}` : path
}

/** Hrefs of the console's pages. */
export const hrefs = {
  signIn: () => '#/sign-in',
  experiments: (options: { status?: ExperimentStatus | undefined; page?: number } = {}) =>
    withQuery('#/experiments', { status: options.status, page: options.page }),
  newExperiment: () => '#/experiments/new',
  experiment: (id: string) => `#/experiments/${encodeURIComponent(id)}`,
  editExperiment: (id: string) => `#/experiments/${encodeURIComponent(id)}/edit`,
  results: (id: string) => `#/experiments/${encodeURIComponent(id)}/results`,
  audiences: (page?: number) => withQuery('#/audiences', { page }),
  newAudience: () => '#/audiences/new',
  audience: (id: string) => `#/audiences/${encodeURIComponent(id)}`,
}
