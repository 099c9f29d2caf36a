import { isLive, redisKeys, ValidationFailed, type ErrorDetail } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import { TIMESTAMP_PROBLEM_MESSAGES, timestampChecker, type ExposureInput, type ExposureTally } from '@experiments/schemas'
import type { AssignScript, ScriptCall } from './assign-script.js'
import { redisRestoring, type CachedExperiment, type ConfigCache } from './config-cache.js'

type Deps = { cache: ConfigCache; script: AssignScript; redis: RedisClient; now?: () => number }

/** An exposure as the assign script records it: the SDK's variant, at the exposure's time. */
type Recording = { call: ScriptCall; atMs: number }

/** The batch's experiments by id: undefined for one that does not exist or is another tenant's. */
const experimentsOf = async (cache: ConfigCache, tenantId: string, exposures: readonly ExposureInput[]) => {
  const ids = [...new Set(exposures.map((e) => e.experimentId))]
  const found = await Promise.all(ids.map((id) => cache.get(id)))
  return new Map(ids.map((id, i) => [id, found[i]?.config.tenantId === tenantId ? found[i] : undefined]))
}

/** Why `exposure` (at `index`) cannot be recorded in `experiment`, if it cannot: the experiment's or the variant's problem. */
const experimentProblem = (exposure: ExposureInput, index: number, experiment: CachedExperiment | undefined): ErrorDetail | undefined => {
  const { experimentId, variantId } = exposure
  if (!experiment) return { index, path: `/exposures/${index}/experimentId`, message: `experiment ${experimentId} does not exist` }
  const { status } = experiment.config
  if (!isLive(status)) {
    return {
      index,
      path: `/exposures/${index}/experimentId`,
      message: `experiment ${experimentId} is ${status}: exposures are taken only while it is running or stopped`,
    }
  }
  if (!experiment.variants.some((v) => v.id === variantId)) {
    return { index, path: `/exposures/${index}/variantId`, message: `${variantId} is not a variant of experiment ${experimentId}` }
  }
  return undefined
}

/**
 * The recordings of a batch received at `receivedAt`, or a ValidationFailed listing every problem
 * (index and path): then nothing of the batch is recorded. An exposure is recorded at its
 * timestamp, but never later than its receipt: the stream's time is the assignment's, and
 * conversions before it count as before assignment.
 */
const recordingsOf = (exposures: readonly ExposureInput[], experiments: Map<string, CachedExperiment | undefined>, receivedAt: number): Recording[] => {
  const timestampProblem = timestampChecker(receivedAt)
  const problems: ErrorDetail[] = []
  const recordings: Recording[] = []
  exposures.forEach((exposure, index) => {
    const experiment = experiments.get(exposure.experimentId)
    const problem = experimentProblem(exposure, index, experiment)
    if (problem) problems.push(problem)
    const timeProblem = exposure.timestamp === undefined ? undefined : timestampProblem(exposure.timestamp)
    if (timeProblem) problems.push({ index, path: `/exposures/${index}/timestamp`, message: TIMESTAMP_PROBLEM_MESSAGES[timeProblem] })
    if (problem || timeProblem || !experiment) return
    const { experimentId, userId, variantId } = exposure
    const position = experiment.variants.findIndex((v) => v.id === variantId)
    const atMs = exposure.timestamp === undefined ? receivedAt : Math.min(Date.parse(exposure.timestamp), receivedAt)
    recordings.push({ call: { experimentId, userId, position, variantId }, atMs })
  })
  if (problems.length) throw new ValidationFailed(`${problems.length} invalid exposure(s); the batch was not accepted`, problems)
  return recordings
}

/**
 * Records what GrowthBook SDKs evaluated in process as the assignment service would have assigned
 * it: through the assign script, so the first write wins, a user is counted once and the stream
 * carries the assignment to PostgreSQL. No audience check: the SDK evaluated it. A user recorded in
 * another variant keeps it, and joins the experiment's set of exposure mismatches (a set: a
 * re-sent exposure counts once).
 */
export const createExposureRecorder = ({ cache, script, redis, now = Date.now }: Deps) => {
  /** Adds the users of `mismatched` calls to their experiments' sets: one SADD per experiment. */
  const addMismatches = async (mismatched: ScriptCall[]) => {
    const usersOf = new Map<string, string[]>()
    for (const { experimentId, userId } of mismatched) {
      const users = usersOf.get(experimentId)
      if (users) users.push(userId)
      else usersOf.set(experimentId, [userId])
    }
    await Promise.all([...usersOf].map(([experimentId, users]) => redis.sadd(redisKeys.exposureMismatches(experimentId), ...users)))
  }

  return {
    record: async (tenantId: string, exposures: readonly ExposureInput[]): Promise<ExposureTally> => {
      const receivedAt = now()
      const recordings = recordingsOf(exposures, await experimentsOf(cache, tenantId, exposures), receivedAt)
      const outcomes = await Promise.all(recordings.map(({ call, atMs }) => script.one(call, atMs)))
      const tally: ExposureTally = { accepted: exposures.length, assigned: 0, existing: 0, mismatches: 0, enrollmentClosed: 0 }
      const mismatched: ScriptCall[] = []
      outcomes.forEach((outcome, i) => {
        const { call } = recordings[i]!
        // No status key: Redis lost the experiment's state and the analytics worker is restoring it.
        if (outcome.kind === 'refused' && outcome.status === '') throw redisRestoring(`the state of experiment ${call.experimentId}`)
        // Refused with a status: stopped (or ended since the batch was checked); new users are not enrolled.
        if (outcome.kind === 'refused') tally.enrollmentClosed++
        else if (outcome.kind === 'assigned') tally.assigned++
        else if (outcome.stored === String(call.position)) tally.existing++
        else mismatched.push(call)
      })
      tally.mismatches = mismatched.length
      await addMismatches(mismatched)
      return tally
    },
  }
}
export type ExposureRecorder = ReturnType<typeof createExposureRecorder>
