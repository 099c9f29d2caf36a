import { spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { SCOPES } from '@experiments/http'
import { describe, expect, it } from 'vitest'
import { ALL_SCOPES, DEFAULT_SCOPES, KNOWN_SCOPES } from '../src/sign-token.js'

const CLI = new URL('../dist/token-cli.js', import.meta.url).pathname
const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long'

/** `npm run -s token -- …args` with JWT_SECRET set. */
const token = (...args: string[]) => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, JWT_SECRET: SECRET },
    encoding: 'utf8',
  })
  return { status, stdout, stderr }
}

describe('npm run token', () => {
  it('prints the token alone on one line, signed with JWT_SECRET, with the scopes asked for', () => {
    const { status, stdout, stderr } = token('--tenant', 'acme', '--scope', 'experiments:read  experiments:write')
    expect(status).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    const [header, payload, signature] = stdout.trim().split('.')
    expect(createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url')).toBe(signature)
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({ tenantId: 'acme', scope: 'experiments:read experiments:write' })
  })

  const scopeOf = (stdout: string) => JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString()).scope

  it('grants every scope but admin unless --scope names them', () => {
    const { status, stdout } = token('--tenant', 'acme')
    expect(status).toBe(0)
    expect(scopeOf(stdout)).toBe(DEFAULT_SCOPES)
    expect(DEFAULT_SCOPES.split(' ').sort()).toEqual(SCOPES.filter((scope) => scope !== 'admin').sort())
  })

  it('grants admin (the queue dashboard) when asked for by name', () => {
    const { status, stdout } = token('--tenant', 'ops', '--scope', 'admin')
    expect(status).toBe(0)
    expect(scopeOf(stdout)).toBe('admin')
  })

  it('refuses an unknown scope with exit code 2 and one line on stderr listing the valid ones', () => {
    const { status, stdout, stderr } = token('--tenant', 'acme', '--scope', 'experiments:raed experiments:write')
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(`unknown scope "experiments:raed"; valid scopes: ${ALL_SCOPES}\n`)
  })

  it('refuses a missing tenant with exit code 2 and one line on stderr', () => {
    const { status, stdout, stderr } = token('--scope', 'experiments:read')
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(stderr).toContain('--tenant is required')
  })

  it('knows exactly the scopes the services check', () => {
    expect([...KNOWN_SCOPES].sort()).toEqual([...SCOPES].sort())
  })
})
