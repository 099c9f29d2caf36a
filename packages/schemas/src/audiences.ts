import { Type, type Static } from 'typebox'
import { JsonObject, NullableString, Timestamp } from './common.js'
import { PageQuery } from './envelopes.js'

export const CreateAudienceBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(NullableString({ maxLength: 2000 })),
    /** Targeting conditions on user attributes, in GrowthBook's MongoDB-style grammar. */
    conditions: JsonObject,
  },
  { additionalProperties: false },
)
export type CreateAudienceBody = Static<typeof CreateAudienceBody>

export const UpdateAudienceBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(NullableString({ maxLength: 2000 })),
    conditions: Type.Optional(JsonObject),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateAudienceBody = Static<typeof UpdateAudienceBody>

export const AudienceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  conditions: JsonObject,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type AudienceView = Static<typeof AudienceView>

export const ListAudiencesQuery = Type.Object(PageQuery, { additionalProperties: false })
export type ListAudiencesQuery = Static<typeof ListAudiencesQuery>
