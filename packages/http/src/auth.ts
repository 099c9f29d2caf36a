/// <reference types="@fastify/jwt" preserve="true" />
// Keeps @fastify/jwt's request.user typing visible to every app that imports this package.
import { createPublicKey } from 'node:crypto'
import jwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { Forbidden, Unauthorized } from '@experiments/contracts'
import { isStorableText } from './unstorable-text.js'
import { verifiedTokens } from './verified-tokens.js'

/**
 * Every scope a token may grant. All but `admin` act within the token's tenant; `admin` opens the
 * operators' queue dashboard (/admin/queues), which shows every tenant's jobs.
 */
export const SCOPES = ['experiments:read', 'experiments:write', 'assignments:write', 'events:write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** Who is calling: the verified token, reduced to what handlers need. */
export type Principal = { tenantId: string; sub: string | null; scopes: ReadonlySet<string>; expiresAt: number }

type TokenClaims = { tenantId?: unknown; sub?: unknown; scope?: unknown; exp?: number }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims
    user: Principal
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: verifies the bearer token, then checks that it grants `scope`. */
    requireScope: (scope: Scope) => onRequestHookHandler
  }
}

/** The OpenAPI security scheme of the bearer token (create-app.ts declares it). */
const BEARER_SCHEME = 'bearerAuth'

/** The scope each requireScope hook checks, for the OpenAPI operations of the routes it guards. */
const scopeOf = new WeakMap<object, Scope>()

export type AuthOptions = { jwtSecret?: string | undefined; jwtPublicKey?: string | undefined }

type Verification = { secret: string | { public: string }; algorithms: ('HS256' | 'RS256' | 'ES256')[] }

/** The verification key and the only algorithms accepted with it. */
const verificationKey = ({ jwtSecret, jwtPublicKey }: AuthOptions): Verification => {
  if (jwtPublicKey) {
    const keyType = createPublicKey(jwtPublicKey).asymmetricKeyType
    if (keyType === 'rsa') return { secret: { public: jwtPublicKey }, algorithms: ['RS256'] }
    if (keyType === 'ec') return { secret: { public: jwtPublicKey }, algorithms: ['ES256'] }
    throw new Error(`JWT_PUBLIC_KEY holds a ${keyType} key; use an RSA (RS256) or P-256 EC (ES256) public key`)
  }
  if (!jwtSecret) throw new Error('JWT_SECRET or JWT_PUBLIC_KEY is required')
  return { secret: jwtSecret, algorithms: ['HS256'] }
}

/** JWT auth: HS256 with a shared secret by default, RS256/ES256 with a public key; `exp` and `tenantId` required. */
export const auth = fp<AuthOptions>(async (app: FastifyInstance, options) => {
  const { secret, algorithms } = verificationKey(options)
  await app.register(jwt, {
    secret,
    verify: { algorithms, requiredClaims: ['exp'] },
    formatUser: (claims) => ({
      tenantId: claims.tenantId as string,
      sub: typeof claims.sub === 'string' ? claims.sub : null,
      scopes: new Set(typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []),
      expiresAt: (claims.exp as number) * 1000,
    }),
  })
  const verified = verifiedTokens<Principal>()

  const verify = async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const cached = header ? verified.get(header) : undefined
    if (cached) {
      request.user = cached
      return
    }
    try {
      await request.jwtVerify()
    } catch (error) {
      throw new Unauthorized(`invalid bearer token: ${(error as Error).message}`)
    }
    const { tenantId } = request.user
    if (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.length > 128 || !isStorableText(tenantId)) {
      throw new Unauthorized('invalid bearer token: the tenantId claim must be a string of 1–128 characters, valid Unicode without U+0000')
    }
    if (header) verified.set(header, request.user)
  }

  app.decorate('requireScope', (scope: Scope) => {
    const hook = async (request: FastifyRequest, _reply: FastifyReply) => {
      await verify(request)
      if (!request.user.scopes.has(scope)) throw new Forbidden(`this token lacks the scope ${scope}`)
    }
    scopeOf.set(hook, scope)
    return hook
  })
  // A route's OpenAPI operation names the scope its onRequest hook checks, so the two cannot disagree.
  app.addHook('onRoute', (route) => {
    const scopes = [route.onRequest ?? []].flat().flatMap((hook) => scopeOf.get(hook) ?? [])
    if (scopes.length === 0) return
    const needs = `Needs a bearer token with the scope ${scopes.map((s) => `\`${s}\``).join(' and ')}.`
    route.schema = {
      ...route.schema,
      security: [{ [BEARER_SCHEME]: scopes }],
      description: route.schema?.description ? `${route.schema.description}\n\n${needs}` : needs,
    }
  })
})
