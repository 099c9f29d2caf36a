import { Type, type Static } from 'typebox'
import { Timestamp } from './common.js'
import { PageQuery } from './envelopes.js'

export const CreateSdkConnectionBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })
export type CreateSdkConnectionBody = Static<typeof CreateSdkConnectionBody>

export const SdkConnectionView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** Public: GrowthBook SDKs send it to GET /api/features/:clientKey of the assignment service. */
  clientKey: Type.String(),
  createdAt: Timestamp,
})
export type SdkConnectionView = Static<typeof SdkConnectionView>

export const ListSdkConnectionsQuery = Type.Object(PageQuery, { additionalProperties: false })
export type ListSdkConnectionsQuery = Static<typeof ListSdkConnectionsQuery>
