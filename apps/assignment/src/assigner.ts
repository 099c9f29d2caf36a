import { variantIndexFor } from '@experiments/bucketing'
import { ExperimentNotFound } from '@experiments/http'
import type { AssignmentView } from '@experiments/schemas'
import { evaluateConditions, type ConditionObject } from '@experiments/targeting'
import type { AssignScript } from './assign-script.js'
import type { CachedExperiment, ConfigCache } from './config-cache.js'

type Deps = { cache: ConfigCache; assignOnce: AssignScript; now?: () => number }
type Attributes = Record<string, unknown>

/**
 * Decides which variant a user sees: audience check, then the deterministic hash, then the
 * assign script, which returns a recorded variant if there is one and enrolls only while the
 * experiment's status key says running.
 */
export const createAssigner = ({ cache, assignOnce, now = Date.now }: Deps) => {
  const answer = (experimentId: string, userId: string, variant: AssignmentView['variant'], reason: AssignmentView['reason']): AssignmentView => ({
    experimentId,
    userId,
    variant,
    reason,
  })

  const decide = async (experiment: CachedExperiment, userId: string, attributes: Attributes): Promise<AssignmentView> => {
    const { config } = experiment
    if (config.status !== 'running' && config.status !== 'stopped') return answer(config.id, userId, null, 'not_running')
    // The gateway validated the conditions before publishing them.
    if (config.audience && !evaluateConditions(config.audience.conditions as ConditionObject, attributes)) {
      return answer(config.id, userId, null, 'audience_mismatch')
    }
    const index = variantIndexFor(config.seed, userId, experiment.ranges)
    const chosen = experiment.variants[index]
    if (!chosen) throw new Error(`experiment ${config.id}: user ${userId} hashed outside every bucket range`)
    const outcome = await assignOnce(config.id, userId, chosen.id, now())
    if (outcome.kind === 'refused') {
      return answer(config.id, userId, null, outcome.status === 'stopped' ? 'enrollment_closed' : 'not_running')
    }
    const variant = experiment.variantsById.get(outcome.variantId) ?? null
    return answer(config.id, userId, variant, outcome.kind)
  }

  const owned = async (tenantId: string, experimentId: string) => {
    const experiment = await cache.get(experimentId)
    if (!experiment || experiment.config.tenantId !== tenantId) throw new ExperimentNotFound(experimentId)
    return experiment
  }

  return {
    assignOne: async (tenantId: string, experimentId: string, userId: string, attributes: Attributes = {}) =>
      decide(await owned(tenantId, experimentId), userId, attributes),

    /**
     * One answer per listed experiment, or per running or stopped experiment of the tenant. The
     * script calls go out together, in one round trip (the client pipelines them).
     */
    assignMany: async (tenantId: string, userId: string, attributes: Attributes = {}, experimentIds?: string[]) => {
      const experiments = experimentIds
        ? await Promise.all(experimentIds.map((id) => owned(tenantId, id)))
        : cache.liveOf(tenantId)
      return Promise.all(experiments.map((experiment) => decide(experiment, userId, attributes)))
    },
  }
}
export type Assigner = ReturnType<typeof createAssigner>
