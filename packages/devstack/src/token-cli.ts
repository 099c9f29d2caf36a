#!/usr/bin/env node
// `npm run token -- --tenant acme --scope "experiments:read experiments:write" --ttl 1h`
import { parseArgs } from 'node:util'
import { readDevSecret } from './dev-secret.js'
import { ALL_SCOPES, parseTtl, signToken } from './sign-token.js'

const usage = 'usage: npm run token -- --tenant <id> [--scope "<scopes>"] [--ttl 1h] [--sub <subject>]'

try {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      scope: { type: 'string', default: ALL_SCOPES },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
    },
  })
  if (!values.tenant) throw new Error('--tenant is required')
  const secret = process.env.JWT_SECRET || readDevSecret()
  if (!secret) throw new Error('JWT_SECRET is not set and no dev secret exists yet (npm start makes one)')
  const token = signToken(secret, {
    tenantId: values.tenant,
    scope: values.scope,
    ttlSeconds: parseTtl(values.ttl),
    ...(values.sub ? { sub: values.sub } : {}),
  })
  console.log(token)
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`)
  process.exit(2)
}
