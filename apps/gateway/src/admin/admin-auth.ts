import { Unauthorized } from '@experiments/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** The cookie a browser holds the admin token in, once traded for `?token=`. */
const TOKEN_COOKIE = 'admin_token'

/** The value of the cookie `name` in the request's Cookie header, if any. */
const cookieOf = (request: FastifyRequest, name: string) =>
  request.headers.cookie
    ?.split(';')
    .map((pair) => pair.trim())
    .find((pair) => pair.startsWith(`${name}=`))
    ?.slice(name.length + 1)

/** The `token` query parameter, if any; given more than once it is refused rather than guessed at. */
const tokenInUrl = (request: FastifyRequest) => {
  const token = (request.query as Record<string, unknown> | undefined)?.token
  if (token === undefined || typeof token === 'string') return token
  throw new Unauthorized('give the token query parameter once')
}

/**
 * Lets through, to every route of this plugin context, only a token with the scope `admin`,
 * verified by the auth plugin (requireScope) exactly as a bearer token: missing or invalid is 401,
 * without the scope 403. A browser cannot add a header to the page's own asset and API requests, so
 * besides `Authorization: Bearer` the token is taken from a cookie, which a browser gets by opening
 * `?token=<jwt>` once: a valid admin token there is answered with a redirect to `basePath`, without
 * it in the address bar, setting an HttpOnly, SameSite=Strict cookie for `basePath` that expires
 * with the token. An Authorization header wins over both.
 */
export const admitAdminsOnly = (app: FastifyInstance, basePath: string) => {
  const tradedFromUrl = new WeakSet<FastifyRequest>()

  // The auth plugin reads the token from the Authorization header, so one from the URL or the cookie is put there.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.headers.authorization !== undefined) return
    const fromUrl = tokenInUrl(request)
    if (fromUrl !== undefined) tradedFromUrl.add(request)
    const token = fromUrl ?? cookieOf(request, TOKEN_COOKIE)
    if (token !== undefined) request.headers.authorization = `Bearer ${token}`
  })
  app.addHook('onRequest', app.requireScope('admin'))
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!tradedFromUrl.has(request)) return
    const token = request.headers.authorization!.slice('Bearer '.length)
    const attributes = [
      `Path=${basePath}`,
      `Expires=${new Date(request.user.expiresAt).toUTCString()}`,
      'HttpOnly',
      'SameSite=Strict',
      ...(request.protocol === 'https' ? ['Secure'] : []),
    ]
    return reply
      .header('set-cookie', [`${TOKEN_COOKIE}=${token}`, ...attributes].join('; '))
      .header('cache-control', 'no-store')
      .redirect(basePath, 303)
  })
}
