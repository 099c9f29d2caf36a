/**
 * The point of GET /api/features/:clientKey: GrowthBook's own JS SDK, fed the payload, puts every
 * user in the variant the assignment service answers for a fresh user, or in none exactly where
 * the service answers audience_mismatch. Experiments and audiences are made through the gateway.
 */
import { GrowthBook, type FeatureApiResponse } from '@growthbook/growthbook'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, connectDb } from '../../../test-support/connections.js'
import { runningExperiment, startGateway } from '../../../test-support/services.js'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import { settle, useAssignmentService } from './helpers.js'
import { createSdkConnection, fetchFeatures } from './sdk-connections.js'

const USERS = 10_000
const IN_FLIGHT = 100

const svc = useAssignmentService()
const tenant = aTenant()
let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
})
afterAll(async () => {
  await gateway?.close()
  await db?.destroy()
  redis?.disconnect()
})

/** Uneven splits of 3 to 5 variants, audiences in GrowthBook's condition grammar (null: everyone). */
const EXPERIMENTS: { splits: number[]; conditions: Record<string, unknown> | null }[] = [
  { splits: [20, 30, 50], conditions: { country: { $in: ['DE', 'AT', 'CH'] }, age: { $gte: 18 } } },
  { splits: [10, 20, 30, 40], conditions: { $or: [{ 'company.plan': 'enterprise' }, { email: { $regex: '@example\\.(com|org)$' } }] } },
  { splits: [5, 15, 25, 25, 30], conditions: null },
  {
    splits: [33.33, 33.33, 33.34],
    conditions: { 'company.plan': { $in: ['pro', 'enterprise'] }, 'company.seats': { $gte: 50 }, name: { $regex: '^[A-ZÄÖÜ]' } },
  },
]

/** A seeded generator, so that a failure can be run again with the same users. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

type User = { userId: string; attributes: Record<string, unknown> }

const usersOf = (count: number): User[] => {
  const random = mulberry32(20_261_208)
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)] as T
  const idForms = [
    (i: number) => `user-${i}`,
    (i: number) => `ユーザー${i}`,
    (i: number) => `müller.${i}@beispiel.de`,
    (i: number) => `🎉 ${i}`,
    (i: number) => `${i}`,
  ]
  return Array.from({ length: count }, (_, i) => {
    const attributes: Record<string, unknown> = {}
    const country = pick(['DE', 'AT', 'CH', 'FR', 'US', undefined])
    if (country) attributes.country = country
    const age = pick(['number', 'number', 'string', undefined])
    if (age) attributes.age = age === 'number' ? 10 + Math.floor(random() * 60) : String(10 + Math.floor(random() * 60))
    const email = pick(['@example.com', '@example.org', '@other.net', undefined])
    if (email) attributes.email = `person${i}${email}`
    if (random() < 0.8) attributes.company = { plan: pick(['free', 'pro', 'enterprise']), seats: Math.floor(random() * 200) }
    attributes.name = pick(['Ärzte GmbH', 'Acme', 'zebra', 'Über', 'émile'])
    return { userId: pick(idForms)(i), attributes }
  })
}

/** Runs `task` over `items` with at most IN_FLIGHT at once. */
const inParallel = async <T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  return results
}

const createThroughGateway = async (splits: number[], conditions: Record<string, unknown> | null) => {
  let extra = {}
  if (conditions) {
    const audience = await gateway.inject({ method: 'POST', url: '/api/audiences', headers: bearer(tenant), payload: { name: 'audience', conditions } })
    expect(audience.statusCode, audience.body).toBe(201)
    extra = { audienceId: audience.json().data.id }
  }
  return runningExperiment(gateway, tenant, splits, extra)
}

type ServiceAnswer = { experimentId: string; variant: { id: string } | null; reason: string }

const assignThroughService = async ({ userId, attributes }: User, experimentIds: string[]) => {
  const response = await svc.app.inject({
    method: 'POST',
    url: '/api/assignments',
    headers: bearer(tenant, 'assignments:write'),
    payload: { userId, attributes, experimentIds },
  })
  if (response.statusCode !== 200) throw new Error(`assignment failed: ${response.statusCode} ${response.body}`)
  return response.json().data as ServiceAnswer[]
}

/** The variant GrowthBook's SDK puts the user in, or null when it puts them in none. */
const sdkVariant = (payload: FeatureApiResponse, { userId, attributes }: User, experimentId: string): string | null => {
  const gb = new GrowthBook({ attributes: { id: userId, ...attributes } }).initSync({ payload })
  try {
    const result = gb.evalFeature<{ variantId: string }>(experimentId)
    if (!result.experimentResult?.inExperiment) return null
    expect(result.source).toBe('experiment')
    return result.value!.variantId
  } finally {
    gb.destroy()
  }
}

describe('GrowthBook SDK evaluation of the payload', () => {
  it(`agrees with the assignment service for ${USERS} fresh users × ${EXPERIMENTS.length} experiments`, async () => {
    const experiments = []
    for (const { splits, conditions } of EXPERIMENTS) experiments.push(await createThroughGateway(splits, conditions))
    const experimentIds = experiments.map((e) => e.id)
    const clientKey = await createSdkConnection(redis, tenant)
    await settle()

    const response = await fetchFeatures(svc, clientKey)
    expect(response.statusCode).toBe(200)
    const payload = response.json() as FeatureApiResponse
    expect(Object.keys(payload.features ?? {}).sort()).toEqual([...experimentIds].sort())
    // The gateway's publication carries the name.
    expect(payload.features![experimentIds[0]!]!.rules![0]!.name).toBe('split 20/30/50')

    const users = usersOf(USERS)
    const answers = await inParallel(users, (user) => assignThroughService(user, experimentIds))

    const disagreements: string[] = []
    const counts = new Map<string, number>()
    const matched = new Map<string, number>()
    users.forEach((user, u) => {
      for (const [i, experimentId] of experimentIds.entries()) {
        const answer = answers[u]![i]!
        expect(answer.experimentId).toBe(experimentId)
        expect(['assigned', 'audience_mismatch']).toContain(answer.reason)
        const service = answer.variant?.id ?? null
        const sdk = sdkVariant(payload, user, experimentId)
        if (sdk !== service) disagreements.push(`${JSON.stringify(user)} in ${experimentId}: SDK ${sdk}, service ${service} (${answer.reason})`)
        if (service === null) continue
        counts.set(service, (counts.get(service) ?? 0) + 1)
        matched.set(experimentId, (matched.get(experimentId) ?? 0) + 1)
      }
    })
    expect({ disagreements: disagreements.length, first: disagreements.slice(0, 5) }).toEqual({ disagreements: 0, first: [] })

    // Enough users on every side of every decision for the agreement to mean something.
    for (const [i, experiment] of experiments.entries()) {
      const inAudience = matched.get(experiment.id) ?? 0
      if (EXPERIMENTS[i]!.conditions) {
        expect(inAudience, `users in the audience of ${experiment.id}`).toBeGreaterThan(USERS * 0.1)
        expect(inAudience, `users in the audience of ${experiment.id}`).toBeLessThan(USERS * 0.9)
      } else expect(inAudience).toBe(USERS)
      for (const variant of experiment.variants) {
        const expected = (inAudience * variant.splitPercentage) / 100
        expect(counts.get(variant.id) ?? 0, `users in ${variant.id} (${variant.splitPercentage} %)`).toBeGreaterThan(expected * 0.8)
        expect(counts.get(variant.id) ?? 0, `users in ${variant.id} (${variant.splitPercentage} %)`).toBeLessThan(expected * 1.2)
      }
    }
  })
})
