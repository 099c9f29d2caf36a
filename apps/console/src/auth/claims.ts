/** What the console reads from a token to decide what to offer; the API verifies it and stays the authority. */
export type Claims = { tenantId: string | null; scopes: ReadonlySet<string>; expiresAt: Date | null }

const base64UrlToText = (part: string) => {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=')
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)))
}

/** The claims of a JWT's payload, read without verifying its signature; null when `token` is not a JWT. */
export const readClaims = (token: string): Claims | null => {
  const payload = token.split('.')
  if (payload.length !== 3 || !payload[1]) return null
  try {
    const claims: unknown = JSON.parse(base64UrlToText(payload[1]))
    if (typeof claims !== 'object' || claims === null) return null
    const { tenantId, scope, exp } = claims as Record<string, unknown>
    return {
      tenantId: typeof tenantId === 'string' ? tenantId : null,
      scopes: new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []),
      expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : null,
    }
  } catch {
    return null
  }
}
