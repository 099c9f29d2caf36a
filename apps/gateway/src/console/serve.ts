import { AppError } from '@experiments/contracts'
import type { FastifyInstance } from 'fastify'
import { consoleDistDir, readConsoleFiles } from './files.js'

class ConsoleNotBuilt extends AppError {
  readonly code = 'ROUTE_NOT_FOUND'
}

/** The console talks to this origin only; Observable Plot styles its SVG with style elements and attributes. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * Serves the web console (apps/console) at `/`: index.html and its hashed assets, read once from
 * `dir` (the console's build unless a test names another). Answered from an onRequest hook for GETs
 * that no route matched, not as routes: the route table is the API, which OpenAPI documents route
 * for route. Paths outside the build fall through to the 404 envelope; without a build, `/` says
 * how to make one.
 */
export const serveConsole = (app: FastifyInstance, dir: string | null = consoleDistDir()) => {
  const files = readConsoleFiles(dir)
  if (files === null) app.log.info('the console is not built (npm run build): / answers 404')

  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404 || (request.method !== 'GET' && request.method !== 'HEAD')) return done()
    const path = request.url.split('?')[0]!
    if (files === null) {
      const isEntry = path === '/' || path === '/index.html'
      return done(isEntry ? new ConsoleNotBuilt('the console is not built: run npm run build, then restart the gateway') : undefined)
    }
    const file = files.get(path)
    if (!file) return done()
    reply.header('cache-control', file.cacheControl).header('etag', file.etag).header('x-content-type-options', 'nosniff')
    if (file.contentType.startsWith('text/html')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer')
    // A callback hook that answers must not return the reply: Fastify would await it as a promise.
    if (request.headers['if-none-match'] === file.etag) reply.code(304).send()
    else reply.code(200).type(file.contentType).send(file.body)
  })
}
