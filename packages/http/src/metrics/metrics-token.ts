import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestHookHandler } from 'fastify'
import { Unauthorized } from '@experiments/contracts'

const BEARER = /^Bearer +(\S+) *$/i

// Digests have one length whatever the token's, so the comparison takes the same time for any guess.
const digest = (text: string) => createHash('sha256').update(text).digest()

/** onRequest hook of GET /metrics with METRICS_TOKEN set: the request must bear `token`, compared in constant time. */
export const requireMetricsToken = (token: string): onRequestHookHandler => {
  const expected = digest(token)
  return (request, _reply, done) => {
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1]
    if (presented === undefined) return done(new Unauthorized('METRICS_TOKEN is set: GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>'))
    if (!timingSafeEqual(digest(presented), expected)) return done(new Unauthorized('the bearer token is not METRICS_TOKEN'))
    done()
  }
}
