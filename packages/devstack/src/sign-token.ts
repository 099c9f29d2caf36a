import { createHmac } from 'node:crypto'

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

export type TokenClaims = { tenantId: string; scope: string; sub?: string; ttlSeconds: number }

/** An HS256 JWT with the platform's claims: tenantId, scope (space-separated), sub, iat, exp. */
export const signToken = (secret: string, { tenantId, scope, sub, ttlSeconds }: TokenClaims, now = Date.now()): string => {
  const iat = Math.floor(now / 1000)
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = base64url(JSON.stringify({ tenantId, scope, ...(sub ? { sub } : {}), iat, exp: iat + ttlSeconds }))
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

/** The scopes the services check (the same list as SCOPES in @experiments/http, which a test pins). */
export const KNOWN_SCOPES = ['experiments:read', 'experiments:write', 'assignments:write', 'events:write', 'admin'] as const
export const ALL_SCOPES = KNOWN_SCOPES.join(' ')
/**
 * What `npm run token` grants unless --scope says otherwise: every scope but `admin`. A token is
 * minted for one tenant and often handed on (a deploy pipeline, a server-side SDK callback); admin
 * shows every tenant's queued jobs, so it is granted only when asked for by name.
 */
export const DEFAULT_SCOPES = KNOWN_SCOPES.filter((scope) => scope !== 'admin').join(' ')

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** Parses a duration such as "90s", "15m", "1h" or "7d" into seconds. */
export const parseTtl = (ttl: string): number => {
  const match = /^(\d+)([smhd])$/.exec(ttl)
  if (!match) throw new Error(`--ttl must look like 90s, 15m, 1h or 7d; got "${ttl}"`)
  return Number(match[1]) * UNITS[match[2]!]!
}
