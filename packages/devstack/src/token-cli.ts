#!/usr/bin/env node
// `npm run -s token -- --tenant acme --scope "experiments:read experiments:write" --ttl 1h`
import { parseArgs } from 'node:util'
import { readDevSecret } from './dev-secret.js'
import { ALL_SCOPES, DEFAULT_SCOPES, KNOWN_SCOPES, parseTtl, signToken } from './sign-token.js'

const usage = 'usage: npm run -s token -- --tenant <id> [--scope "<scopes>"] [--ttl 1h] [--sub <subject>]'

/** A mistake in the command line: one line on stderr, exit code 2. */
class UsageError extends Error {}

const parseOptions = () =>
  parseArgs({
    options: {
      tenant: { type: 'string' },
      scope: { type: 'string', default: DEFAULT_SCOPES },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
    },
  }).values

const parseCommandLine = () => {
  let values: ReturnType<typeof parseOptions>
  try {
    values = parseOptions()
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; ${usage}`)
  }
  if (!values.tenant) throw new UsageError(`--tenant is required; ${usage}`)
  const scopes = values.scope.split(/\s+/).filter(Boolean)
  // A misspelt scope would sign a token that the endpoints it was meant for answer with 403.
  const unknown = scopes.filter((scope) => !(KNOWN_SCOPES as readonly string[]).includes(scope))
  if (unknown.length) {
    throw new UsageError(`unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; valid scopes: ${ALL_SCOPES}`)
  }
  let ttlSeconds: number
  try {
    ttlSeconds = parseTtl(values.ttl)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  return { tenantId: values.tenant, scope: scopes.join(' '), ttlSeconds, ...(values.sub ? { sub: values.sub } : {}) }
}

try {
  const claims = parseCommandLine()
  const secret = process.env.JWT_SECRET || readDevSecret()
  if (!secret) throw new Error('JWT_SECRET is not set and no dev secret exists yet (npm start makes one)')
  console.log(signToken(secret, claims))
} catch (error) {
  console.error((error as Error).message)
  process.exit(error instanceof UsageError ? 2 : 1)
}
