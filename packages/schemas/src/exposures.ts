import { Type, type Static } from 'typebox'
import { MAX_USER_ID_LENGTH } from './assignments.js'
import { EventTimestamp, MAX_EVENTS_PER_BATCH, MAX_ID_LENGTH } from './conversions.js'

/**
 * Largest body of POST /api/exposures, as the gateway's for conversion batches: 1000 exposures of
 * maximum-length ASCII ids take about 620 KB.
 */
export const EXPOSURE_BATCH_BODY_LIMIT_BYTES = 1024 * 1024

/** What an SDK that evaluated an experiment in process reports: this user saw this variant. */
export const ExposureInput = Type.Object(
  {
    experimentId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
    userId: Type.String({ minLength: 1, maxLength: MAX_USER_ID_LENGTH }),
    variantId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
    /** When the user saw it; the assignment is recorded at this instant (at most now), now when absent. */
    timestamp: Type.Optional(EventTimestamp),
  },
  { additionalProperties: false },
)
export type ExposureInput = Static<typeof ExposureInput>

export const ExposureBatchBody = Type.Object(
  { exposures: Type.Array(ExposureInput, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }) },
  { additionalProperties: false },
)
export type ExposureBatchBody = Static<typeof ExposureBatchBody>

/** What became of a batch's exposures; `assigned + existing + mismatches + enrollmentClosed = accepted`. */
export const ExposureTally = Type.Object({
  accepted: Type.Integer({ description: 'exposures in the batch' }),
  assigned: Type.Integer({ description: "users enrolled now, in the exposure's variant" }),
  existing: Type.Integer({ description: "users already recorded in the exposure's variant: nothing changed" }),
  mismatches: Type.Integer({ description: "users recorded in another variant: nothing changed; counted in the experiment's exposureMismatches" }),
  enrollmentClosed: Type.Integer({ description: 'users not recorded: the experiment is stopped and enrolls no one new' }),
})
export type ExposureTally = Static<typeof ExposureTally>
