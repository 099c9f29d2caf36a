import { redisKeys } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'

/** Live participant counts per experiment (the assignment service's counts in Redis), summed over variants. */
export const participantCounter = (redis: Redis) => async (experimentIds: string[]): Promise<Map<string, number>> => {
  const perExperiment = await Promise.all(experimentIds.map((id) => redis.hvals(redisKeys.counts(id))))
  return new Map(experimentIds.map((id, i) => [id, (perExperiment[i] ?? []).reduce((sum, n) => sum + Number(n), 0)]))
}
export type ParticipantCounter = ReturnType<typeof participantCounter>
