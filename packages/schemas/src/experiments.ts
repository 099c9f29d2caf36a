import { EXPERIMENT_STATUSES, literalUnion } from '@experiments/contracts'
import { Type, type Static } from 'typebox'
import { JsonObject, NullableString, Timestamp } from './common.js'
import { PageQuery } from './envelopes.js'

export const ExperimentStatus = literalUnion(EXPERIMENT_STATUSES)

export const MIN_VARIANTS = 2
export const MAX_VARIANTS = 20

const VariantFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  splitPercentage: Type.Number({ minimum: 0, maximum: 100 }),
  flowId: Type.Optional(NullableString({ minLength: 1, maxLength: 200 })),
  config: Type.Optional(JsonObject),
}

export const VariantInput = Type.Object(VariantFields, { additionalProperties: false })
/** In a PATCH, an item carrying the id of an existing variant keeps that id. */
export const VariantPatchInput = Type.Object(
  { id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), ...VariantFields },
  { additionalProperties: false },
)

const Variants = <T extends typeof VariantInput | typeof VariantPatchInput>(item: T) => Type.Array(item, { minItems: MIN_VARIANTS, maxItems: MAX_VARIANTS })

export const CreateExperimentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(NullableString({ maxLength: 2000 })),
    type: Type.Optional(Type.Literal('ab_test')),
    audienceId: Type.Optional(NullableString({ minLength: 1, maxLength: 128 })),
    /** Hash seed for bucketing; the experiment id when absent. */
    seed: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    endDate: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    variants: Variants(VariantInput),
  },
  { additionalProperties: false },
)
export type CreateExperimentBody = Static<typeof CreateExperimentBody>

export const UpdateExperimentBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(NullableString({ maxLength: 2000 })),
    audienceId: Type.Optional(NullableString({ minLength: 1, maxLength: 128 })),
    endDate: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    variants: Type.Optional(Variants(VariantPatchInput)),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateExperimentBody = Static<typeof UpdateExperimentBody>

export const VariantSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  splitPercentage: Type.Number(),
  flowId: Type.Union([Type.String(), Type.Null()]),
})
export const VariantView = Type.Object({ ...VariantSummary.properties, config: JsonObject })
export type VariantView = Static<typeof VariantView>

const experimentFields = {
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  type: Type.String(),
  status: ExperimentStatus,
  audienceId: Type.Union([Type.String(), Type.Null()]),
  seed: Type.String(),
  startDate: Type.Union([Timestamp, Type.Null()]),
  endDate: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  _count: Type.Object({ assignments: Type.Integer() }),
}

/** An experiment as GET /api/experiments/:id returns it: with each variant's config. */
export const ExperimentView = Type.Object({ ...experimentFields, variants: Type.Array(VariantView) })
export type ExperimentView = Static<typeof ExperimentView>

/** An experiment as list items carry it: variants without their configs. */
export const ExperimentSummary = Type.Object({ ...experimentFields, variants: Type.Array(VariantSummary) })

export const ListExperimentsQuery = Type.Object({ ...PageQuery, status: Type.Optional(ExperimentStatus) }, { additionalProperties: false })
export type ListExperimentsQuery = Static<typeof ListExperimentsQuery>
