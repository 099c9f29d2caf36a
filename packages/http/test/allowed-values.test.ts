import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpApp, type HttpApp } from '../src/index.js'

let app: HttpApp

beforeAll(async () => {
  app = await createHttpApp({ title: 'test', version: '0', bodyLimit: 1024, logLevel: 'silent' })
  const Body = Type.Object(
    {
      kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
      color: Type.Optional(Type.Union([Type.Literal('red'), Type.Literal('blue'), Type.Null()])),
      level: Type.Optional(Type.Enum(['low', 'high'])),
      only: Type.Optional(Type.Literal('this')),
      items: Type.Optional(Type.Array(Type.Object({ side: Type.Union([Type.Literal('left'), Type.Literal('right')]) }))),
      note: Type.Optional(Type.Union([Type.String({ maxLength: 3 }), Type.Null()])),
    },
    { additionalProperties: false },
  )
  app.post('/things', { schema: { body: Body } }, async () => ({ ok: true }))
  await app.ready()
})
afterAll(() => app.close())

const problems = async (payload: object) => {
  const response = await app.inject({ method: 'POST', url: '/things', payload })
  expect(response.statusCode).toBe(400)
  return response.json().error.details.map((d: { path: string; message: string }) => `${d.path}: ${d.message}`)
}

describe('a value outside a fixed set of values', () => {
  it('is one problem naming the allowed values, for a union of literals', async () => {
    expect(await problems({ kind: 'c' })).toEqual(['/kind: kind must be one of a, b'])
  })

  it('names null when the union allows it', async () => {
    expect(await problems({ kind: 'a', color: 'green' })).toEqual(['/color: color must be one of red, blue, null'])
  })

  it('words an enum and a lone literal the same way, whatever the type of the value sent', async () => {
    expect(await problems({ kind: 'a', level: 'mid', only: 5 })).toEqual(['/level: level must be one of low, high', '/only: only must be this'])
    expect(await problems({ kind: 7 })).toEqual(['/kind: kind must be one of a, b'])
  })

  it('names the item of an array', async () => {
    expect(await problems({ kind: 'a', items: [{ side: 'left' }, { side: 'up' }] })).toEqual(['/items/1/side: items/1/side must be one of left, right'])
  })

  it('leaves other unions and other problems as Ajv words them', async () => {
    expect(await problems({ kind: 'b', note: 'long' })).toEqual([
      '/note: note must NOT have more than 3 characters',
      '/note: note must be null',
      '/note: note must match a schema in anyOf',
    ])
  })
})
