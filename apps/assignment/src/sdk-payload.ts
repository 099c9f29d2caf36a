import { HASH_VERSION } from '@experiments/bucketing'
import type { AssignmentConfig } from '@experiments/contracts'
import { Type, type Static } from 'typebox'

const Variation = Type.Object({
  variantId: Type.String(),
  name: Type.String(),
  flowId: Type.Union([Type.String(), Type.Null()]),
  config: Type.Record(Type.String(), Type.Unknown()),
})

const ExperimentRule = Type.Object({
  key: Type.String({ description: 'the experiment id' }),
  seed: Type.String(),
  hashVersion: Type.Literal(HASH_VERSION),
  hashAttribute: Type.Literal('id', { description: 'pass the user id as the attribute `id`' }),
  coverage: Type.Literal(1),
  weights: Type.Array(Type.Number(), { description: "each variant's split / 100, in variant order" }),
  variations: Type.Array(Variation),
  meta: Type.Array(Type.Object({ key: Type.String({ description: 'the variant id' }), name: Type.String() })),
  name: Type.String(),
  phase: Type.Literal('0'),
  condition: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "the audience's conditions; absent without an audience" })),
})
type ExperimentRule = Static<typeof ExperimentRule>

/** A tenant's running experiments in GrowthBook's SDK payload format: one feature per experiment, keyed by its id. */
export const SdkPayload = Type.Object(
  {
    status: Type.Literal(200),
    dateUpdated: Type.String({ format: 'date-time' }),
    features: Type.Record(Type.String(), Type.Object({ defaultValue: Type.Null(), rules: Type.Array(ExperimentRule, { minItems: 1, maxItems: 1 }) })),
    experiments: Type.Array(Type.Unknown(), { maxItems: 0 }),
    savedGroups: Type.Object({}),
  },
  { description: "The tenant's running experiments as a GrowthBook SDK payload" },
)
export type SdkPayload = Static<typeof SdkPayload>

// Every field is written, defaults included: an SDK fills a missing hashVersion with 1, not 2.
const experimentRule = (config: AssignmentConfig): ExperimentRule => ({
  key: config.id,
  seed: config.seed,
  hashVersion: HASH_VERSION,
  hashAttribute: 'id',
  coverage: 1,
  // The same division the service's bucket ranges start from, so both place every hash alike.
  weights: config.variants.map((v) => v.splitPercentage / 100),
  variations: config.variants.map((v) => ({ variantId: v.id, name: v.name, flowId: v.flowId, config: v.config })),
  meta: config.variants.map((v) => ({ key: v.id, name: v.name })),
  name: config.name ?? config.id,
  phase: '0',
  ...(config.audience ? { condition: config.audience.conditions } : {}),
})

/**
 * The payload for a tenant's configs (any status; only running experiments are in it), in id order
 * so that every replica serves the same bytes. dateUpdated is the newest change of any experiment
 * that is not a draft, those that left the payload included: GrowthBook's SDKs ignore a fetched
 * payload whose dateUpdated equals the one they hold, so it must move whenever the payload does.
 */
export const sdkPayloadOf = (configs: readonly AssignmentConfig[]): SdkPayload => {
  const running = configs.filter((c) => c.status === 'running').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  // The epoch while there are only drafts: fixed, where "now" would differ between replicas.
  const newest = configs.reduce((max, c) => (c.status === 'draft' ? max : Math.max(max, c.version)), 0)
  return {
    status: 200,
    dateUpdated: new Date(newest).toISOString(),
    features: Object.fromEntries(running.map((config) => [config.id, { defaultValue: null, rules: [experimentRule(config)] }])),
    experiments: [],
    savedGroups: {},
  }
}
