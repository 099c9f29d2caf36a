import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHttpApp, type HttpApp } from '@experiments/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveConsole } from '../../apps/gateway/src/console/serve.js'
import { expectEnvelope } from '../../test-support/calls.js'

const INDEX = '<!doctype html><title>console</title><script type="module" src="/assets/main-ABCD1234.js"></script>'
let dist: string
let built: HttpApp
let unbuilt: HttpApp

const appServing = async (dir: string | null) => {
  const app = await createHttpApp({ title: 'test', version: '1', bodyLimit: 1024, logLevel: 'silent' })
  app.get('/api/thing', async () => ({ ok: true }))
  serveConsole(app, dir)
  await app.ready()
  return app
}

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'console-dist-'))
  mkdirSync(join(dist, 'assets'))
  writeFileSync(join(dist, 'index.html'), INDEX)
  writeFileSync(join(dist, 'assets', 'main-ABCD1234.js'), 'console.log(1)')
  writeFileSync(join(dist, 'assets', 'main-EFGH5678.css'), 'body{}')
  built = await appServing(dist)
  unbuilt = await appServing(join(dist, 'missing'))
})
afterAll(async () => {
  await built.close()
  await unbuilt.close()
  rmSync(dist, { recursive: true, force: true })
})

describe('the console at / on the gateway', () => {
  it('serves index.html at / with no-cache, an ETag and a same-origin content security policy', async () => {
    for (const url of ['/', '/index.html', '/?utm=1']) {
      const response = await built.inject({ method: 'GET', url })
      expect(response.statusCode).toBe(200)
      expect(response.body).toBe(INDEX)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(response.headers['cache-control']).toBe('no-cache')
      expect(response.headers['content-security-policy']).toContain("default-src 'self'")
      expect(response.headers.etag).toMatch(/^"[\w-]+"$/)
    }
  })

  it('answers 304 to a matching If-None-Match, and HEAD like GET without a body', async () => {
    const { headers } = await built.inject({ method: 'GET', url: '/' })
    const revalidated = await built.inject({ method: 'GET', url: '/', headers: { 'if-none-match': headers.etag as string } })
    expect(revalidated.statusCode).toBe(304)
    expect(revalidated.body).toBe('')
    const head = await built.inject({ method: 'HEAD', url: '/assets/main-ABCD1234.js' })
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
  })

  it('serves hashed assets as immutable for a year, with their content types', async () => {
    const script = await built.inject({ method: 'GET', url: '/assets/main-ABCD1234.js' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(script.headers['x-content-type-options']).toBe('nosniff')
    const style = await built.inject({ method: 'GET', url: '/assets/main-EFGH5678.css' })
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(style.headers['content-security-policy']).toBeUndefined()
  })

  it.each([
    '/assets/unknown-00000000.js',
    '/assets/',
    '/assets',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/package.json',
  ])('answers %s with the 404 envelope: only the built files are served', async (url) => {
    expectEnvelope(await built.inject({ method: 'GET', url }), 404, 'ROUTE_NOT_FOUND')
  })

  it('leaves routes and other methods alone, and is not in the OpenAPI document', async () => {
    expect((await built.inject({ method: 'GET', url: '/api/thing' })).json()).toEqual({ ok: true })
    expectEnvelope(await built.inject({ method: 'POST', url: '/', payload: {} }), 404, 'ROUTE_NOT_FOUND')
    const doc = (await built.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(Object.keys(doc.paths)).toEqual(['/api/thing'])
  })

  it('starts without a build: / says how to make one, in the 404 envelope', async () => {
    const body = expectEnvelope(await unbuilt.inject({ method: 'GET', url: '/' }), 404, 'ROUTE_NOT_FOUND')
    expect(body.error.message).toMatch(/npm run build/)
    expectEnvelope(await unbuilt.inject({ method: 'GET', url: '/assets/main-ABCD1234.js' }), 404, 'ROUTE_NOT_FOUND')
    expect((await unbuilt.inject({ method: 'GET', url: '/api/thing' })).statusCode).toBe(200)
  })
})
