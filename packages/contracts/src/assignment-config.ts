import { Type, type Static } from 'typebox'
import { EXPERIMENT_STATUSES } from './experiment.js'
import { literalUnion } from './literal-union.js'

/**
 * What the assignment service needs to know about one experiment, as the gateway publishes it on
 * create and on every lifecycle change. Completed and archived experiments keep a slim entry
 * (no variants, no audience) so the service can still tell "not running" from "no such experiment".
 */
export const AssignmentConfig = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  /** The experiment's name, shown by SDKs (GrowthBook payload); optional because configs published before it have none. */
  name: Type.Optional(Type.String()),
  seed: Type.String(),
  status: literalUnion(EXPERIMENT_STATUSES),
  variants: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      flowId: Type.Union([Type.String(), Type.Null()]),
      config: Type.Record(Type.String(), Type.Unknown()),
      splitPercentage: Type.Number(),
    }),
  ),
  audience: Type.Union([Type.Null(), Type.Object({ id: Type.String(), conditions: Type.Record(Type.String(), Type.Unknown()) })]),
  /** Milliseconds since the epoch of the change that produced this config; a replica keeps the newest. */
  version: Type.Number(),
})
export type AssignmentConfig = Static<typeof AssignmentConfig>
