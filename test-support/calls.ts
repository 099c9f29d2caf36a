/** Calling a service under test through inject, and the one error envelope every failure answers with. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { bearer } from './tokens.js'

/** Anything built on createHttpApp (packages/http): the gateway, the assignment service, a test's own app. */
type Injectable = Pick<FastifyInstance, 'inject'>
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** Calls `svc.app` as `tenant` (all scopes unless `scope` is given) and returns status and parsed body. */
export const call = async (svc: { app: Injectable }, method: Method, url: string, tenant: string, payload?: unknown, scope?: string) => {
  const response = await svc.app.inject({
    method,
    url,
    headers: bearer(tenant, scope),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  })
  return { status: response.statusCode, body: response.body ? response.json() : undefined, headers: response.headers }
}

/** GET /api/experiments with `authorization` as the Authorization header (none when undefined). */
export const listWith = (app: Injectable, authorization?: string) =>
  app.inject({ method: 'GET', url: '/api/experiments', headers: authorization === undefined ? {} : { authorization } })

/** The one error envelope, with the request id of the response header. */
export const expectEnvelope = (response: LightMyRequestResponse, status: number, code: string) => {
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(Object.keys(body).sort()).toEqual(['error', 'requestId'])
  expect(body.error).toMatchObject({ code, message: expect.any(String) })
  expect(Object.keys(body.error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true)
  expect(body.requestId).toBe(response.headers['x-request-id'])
  return body
}
