import { ASSIGNMENT_REASONS, literalUnion } from '@experiments/contracts'
import { Type, type Static } from 'typebox'
import { JsonObject } from './common.js'

export const MAX_USER_ID_LENGTH = 256
export const MAX_BATCH_EXPERIMENTS = 100

const UserId = Type.String({ minLength: 1, maxLength: MAX_USER_ID_LENGTH })
/** User attributes for audience targeting; the request body limit bounds their size. */
const Attributes = Type.Optional(JsonObject)

export const AssignBody = Type.Object({ userId: UserId, attributes: Attributes }, { additionalProperties: false })
export type AssignBody = Static<typeof AssignBody>

export const AssignManyBody = Type.Object(
  {
    userId: UserId,
    attributes: Attributes,
    experimentIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: MAX_BATCH_EXPERIMENTS, uniqueItems: true })),
  },
  { additionalProperties: false },
)
export type AssignManyBody = Static<typeof AssignManyBody>

export const AssignmentView = Type.Object({
  experimentId: Type.String(),
  userId: Type.String(),
  variant: Type.Union([
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      flowId: Type.Union([Type.String(), Type.Null()]),
      config: JsonObject,
    }),
    Type.Null(),
  ]),
  reason: literalUnion(ASSIGNMENT_REASONS),
})
export type AssignmentView = Static<typeof AssignmentView>
