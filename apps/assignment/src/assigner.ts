import { variantIndexFor } from '@experiments/bucketing'
import { ExperimentNotFound, isLive } from '@experiments/contracts'
import type { AssignmentView } from '@experiments/schemas'
import { evaluateConditions, type ConditionObject } from '@experiments/targeting'
import type { AssignScript, ScriptCall, ScriptOutcome } from './assign-script.js'
import { redisRestoring, type CachedExperiment, type ConfigCache } from './config-cache.js'

type Deps = { cache: ConfigCache; script: AssignScript; now?: () => number }
type Attributes = Record<string, unknown>

/** What to answer without Redis, or which variant the hash chose for the script to record. */
type Plan = { answer: AssignmentView } | { experiment: CachedExperiment; call: ScriptCall }

const answer = (experimentId: string, userId: string, variant: AssignmentView['variant'], reason: AssignmentView['reason']): AssignmentView => ({
  experimentId,
  userId,
  variant,
  reason,
})

/** Status and audience first (no Redis), then the deterministic hash. */
const plan = (experiment: CachedExperiment, userId: string, attributes: Attributes): Plan => {
  const { config } = experiment
  if (!isLive(config.status)) return { answer: answer(config.id, userId, null, 'not_running') }
  // The gateway validated the conditions before publishing them.
  if (config.audience && !evaluateConditions(config.audience.conditions as ConditionObject, attributes)) {
    return { answer: answer(config.id, userId, null, 'audience_mismatch') }
  }
  const position = variantIndexFor(config.seed, userId, experiment.ranges)
  const chosen = experiment.variants[position]
  if (!chosen) throw new Error(`experiment ${config.id}: user ${userId} hashed outside every bucket range`)
  return { experiment, call: { experimentId: config.id, userId, position, variantId: chosen.id } }
}

/**
 * The answer for what the script did: a recorded variant wins; a refusal says why. No status key
 * for an experiment that can assign means Redis lost it: the analytics worker is restoring it from
 * PostgreSQL, and until then a user's recorded variant is not known here.
 */
const resolve = (experiment: CachedExperiment, userId: string, outcome: ScriptOutcome): AssignmentView => {
  const { id } = experiment.config
  if (outcome.kind === 'refused' && outcome.status === '') {
    throw redisRestoring(`the state of experiment ${id}`)
  }
  if (outcome.kind === 'refused') return answer(id, userId, null, outcome.status === 'stopped' ? 'enrollment_closed' : 'not_running')
  return answer(id, userId, experiment.storedVariant(outcome.stored) ?? null, outcome.kind)
}

/**
 * Decides which variant a user sees: audience check, then the deterministic hash, then the assign
 * script, which returns a recorded variant if there is one and enrolls only while the
 * experiment's status key says running.
 */
export const createAssigner = ({ cache, script, now = Date.now }: Deps) => {
  const owned = async (tenantId: string, experimentId: string) => {
    const experiment = await cache.get(experimentId)
    if (!experiment || experiment.config.tenantId !== tenantId) throw new ExperimentNotFound(experimentId)
    return experiment
  }

  return {
    assignOne: async (tenantId: string, experimentId: string, userId: string, attributes: Attributes = {}) => {
      const decided = plan(await owned(tenantId, experimentId), userId, attributes)
      if ('answer' in decided) return decided.answer
      return resolve(decided.experiment, userId, await script.one(decided.call, now()))
    },

    /** One answer per listed experiment, or per running or stopped experiment of the tenant; one Redis round trip. */
    assignMany: async (tenantId: string, userId: string, attributes: Attributes = {}, experimentIds?: string[]) => {
      const experiments = experimentIds ? await Promise.all(experimentIds.map((id) => owned(tenantId, id))) : cache.liveOf(tenantId)
      const plans = experiments.map((experiment) => plan(experiment, userId, attributes))
      const pending = plans.filter((p): p is Extract<Plan, { call: ScriptCall }> => 'call' in p)
      const outcomes = await script.many(
        pending.map((p) => p.call),
        now(),
      )
      const byExperiment = new Map(pending.map((p, i) => [p.call.experimentId, resolve(p.experiment, userId, outcomes[i]!)]))
      return plans.map((p) => ('answer' in p ? p.answer : byExperiment.get(p.call.experimentId)!))
    },
  }
}
export type Assigner = ReturnType<typeof createAssigner>
