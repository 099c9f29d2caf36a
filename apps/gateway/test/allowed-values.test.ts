import { describe, expect, it } from 'vitest'
import { fixedValueInputs, type OpenApiDocument } from '../../../test-support/openapi.js'
import { aTenant } from '../../../test-support/tokens.js'
import { anExperimentBody, call, useGateway } from './helpers.js'

const gw = useGateway()
const tenant = aTenant()

describe('a value outside a fixed set of values', () => {
  it('every request input with a fixed set of values is one this file tests', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument
    expect(
      fixedValueInputs(doc)
        .map((i) => i.input)
        .sort(),
    ).toEqual(['GET /api/experiments query status', 'POST /api/experiments body /type'])
  })

  it('GET /api/experiments?status=bogus answers 400 with one problem naming the statuses', async () => {
    const { status, body } = await call(gw, 'GET', '/api/experiments?status=bogus', tenant)
    expect(status).toBe(400)
    expect(body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'status must be one of draft, running, stopped, completed, archived',
      details: [{ path: '/status', message: 'status must be one of draft, running, stopped, completed, archived', in: 'querystring' }],
    })
  })

  it('lists the other problems of the request beside it, each once', async () => {
    const { status, body } = await call(gw, 'GET', '/api/experiments?status=Running&limit=0', tenant)
    expect(status).toBe(400)
    expect(body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]).sort()).toEqual([
      ['/limit', 'limit must be an integer from 1 to 100'],
      ['/status', 'status must be one of draft, running, stopped, completed, archived'],
    ])
  })

  it('POST /api/experiments with type "multivariate" answers 400 with one problem naming the type', async () => {
    const { status, body } = await call(gw, 'POST', '/api/experiments', tenant, anExperimentBody({ type: 'multivariate' }))
    expect(status).toBe(400)
    expect(body.error.details).toEqual([{ path: '/type', message: 'type must be ab_test', in: 'body' }])
    expect(body.error.message).toBe('type must be ab_test')
  })

  it("names the field by its path inside the body, beside the body's other problems", async () => {
    const { status, body } = await call(gw, 'POST', '/api/experiments', tenant, anExperimentBody({ type: 7, name: '' }))
    expect(status).toBe(400)
    expect(body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]).sort()).toEqual([
      ['/name', 'name must NOT have fewer than 1 characters'],
      ['/type', 'type must be ab_test'],
    ])
  })
})
