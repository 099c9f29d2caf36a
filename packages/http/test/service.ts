import { Type } from 'typebox'
import { afterAll, beforeAll } from 'vitest'
import { TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { auth, createHttpApp, type AuthOptions, type HttpApp } from '../src/index.js'

export type MinimalService = { app: HttpApp; stored: { experiments: unknown[]; audiences: unknown[] } }

/**
 * A minimal service on createHttpApp and auth, its routes shaped like an API's so the cases read as
 * one: it lists and shows experiments behind experiments:read, and keeps the experiments and
 * audiences it is sent behind experiments:write in `stored` (a refused request stores nothing).
 */
export const minimalService = async (options: { logLevel?: string; auth?: AuthOptions } = {}): Promise<MinimalService> => {
  const app = await createHttpApp({ title: 'test', version: '0', bodyLimit: 64 * 1024, logLevel: options.logLevel ?? 'silent' })
  await app.register(auth, options.auth ?? { jwtSecret: TEST_JWT_SECRET })
  const stored = { experiments: [] as unknown[], audiences: [] as unknown[] }
  const read = app.requireScope('experiments:read')
  const write = app.requireScope('experiments:write')
  app.get('/api/experiments', { onRequest: read }, async () => ({ data: [] }))
  app.get('/api/experiments/:id', { onRequest: read, schema: { params: Type.Object({ id: Type.String({ maxLength: 128 }) }) } }, async (request) => ({
    data: { id: request.params.id },
  }))
  app.post('/api/experiments', { onRequest: write, schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }) } }, async (request, reply) => {
    stored.experiments.push(request.body)
    return reply.code(201).send({ data: request.body })
  })
  const Audience = Type.Object({ name: Type.String({ minLength: 1 }), conditions: Type.Record(Type.String(), Type.Unknown()) })
  app.post('/api/audiences', { onRequest: write, schema: { body: Audience } }, async (request, reply) => {
    stored.audiences.push(request.body)
    return reply.code(201).send({ data: request.body })
  })
  return { app, stored }
}

/** A minimal service built before the file's tests and closed after them. */
export const useMinimalService = (): MinimalService => {
  const ctx = {} as MinimalService
  beforeAll(async () => Object.assign(ctx, await minimalService()))
  afterAll(async () => ctx.app?.close())
  return ctx
}

/** Bodies the minimal service's POST routes take. */
export const anExperimentBody = () => ({ name: 'Onboarding Flow Test' })
export const anAudienceBody = () => ({ name: 'Adults in the US', conditions: { country: 'US', age: { $gte: 18 } } })
