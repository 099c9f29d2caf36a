import { METRIC_PATTERN } from '@experiments/contracts'
import { Type, type Static } from 'typebox'
import { JsonObject, Timestamp } from './common.js'
import { ExperimentStatus } from './experiments.js'
import { PageQuery } from './envelopes.js'

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()])
const Interval = Type.Array(Type.Number(), { minItems: 2, maxItems: 2 })

export const RawResultsView = Type.Object({
  data: Type.Object({
    experimentId: Type.String(),
    name: Type.String(),
    status: ExperimentStatus,
    startDate: Type.Union([Timestamp, Type.Null()]),
    endDate: Type.Union([Timestamp, Type.Null()]),
    variants: Type.Array(
      Type.Object({
        variantId: Type.String(),
        variantName: Type.String(),
        splitPercentage: Type.Number(),
        participants: Type.Integer(),
        results: Type.Array(Type.Object({ metric: Type.String(), conversions: Type.Integer(), events: Type.Integer(), totalValue: Type.Number() })),
      }),
    ),
    unattributed: Type.Array(Type.Object({ metric: Type.String(), notAssigned: Type.Integer(), beforeAssignment: Type.Integer() })),
    exposureMismatches: Type.Union([Type.Integer(), Type.Null()], {
      description: 'users an SDK reported (POST /api/exposures) in a variant other than their recorded one; null when it cannot be read',
    }),
    exposureMismatchesUnavailable: Type.Optional(Type.String({ description: 'why exposureMismatches is null' })),
  }),
})

export const ComputeResultsBody = Type.Object(
  {
    metric: Type.Optional(Type.String({ pattern: METRIC_PATTERN, description: 'must be a metric name' })),
    confidenceLevel: Type.Optional(Type.Number({ minimum: 0.8, maximum: 0.999 })),
    controlVariantId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
)
export type ComputeResultsBody = Static<typeof ComputeResultsBody>

export const ComputedVariant = Type.Object({
  variantId: Type.String(),
  variantName: Type.String(),
  isControl: Type.Boolean(),
  sampleSize: Type.Integer(),
  conversions: Type.Integer(),
  conversionRate: Type.Number(),
  conversionRateInterval: Interval,
  absoluteLift: Nullable(Type.Number()),
  absoluteLiftInterval: Type.Union([Interval, Type.Null()]),
  relativeLift: Nullable(Type.Number()),
  relativeLiftInterval: Type.Union([Interval, Type.Null()]),
  pValue: Nullable(Type.Number()),
  adjustedPValue: Nullable(Type.Number()),
  significant: Type.Union([Type.Boolean(), Type.Null()]),
  probabilityToBeatControl: Nullable(Type.Number()),
})

export const ComputedResults = Type.Object({
  experimentId: Type.String(),
  snapshotId: Type.String(),
  controlVariantId: Type.String(),
  confidenceLevel: Type.Number(),
  srm: Type.Union([Type.Object({ chiSquare: Type.Number(), pValue: Type.Number(), detected: Type.Boolean() }), Type.Null()]),
  variants: Type.Array(ComputedVariant),
})

export const SnapshotView = Type.Object({
  id: Type.String(),
  experimentId: Type.String(),
  createdAt: Timestamp,
  metric: Type.String(),
  options: JsonObject,
  inputs: JsonObject,
  method: Type.String(),
  engineVersion: Type.String(),
  result: ComputedResults,
})

export const ListSnapshotsQuery = Type.Object(PageQuery, { additionalProperties: false })
export type ListSnapshotsQuery = Static<typeof ListSnapshotsQuery>
