import { isFinal, redisKeys, type ExperimentStatus } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'

type Counted = { id: string; status: ExperimentStatus }

/**
 * Participants per experiment, summed over variants: the assignment service's live counts in Redis
 * while users can still be enrolled, PostgreSQL's once the experiment is completed or archived
 * (its Redis keys are dropped after the last assignments are drained).
 */
export const participantCounter =
  (redis: RedisClient, db: Kysely<DB>) =>
  async (experiments: Counted[]): Promise<Map<string, number>> => {
    const live = experiments.filter((e) => !isFinal(e.status)).map((e) => e.id)
    const final = experiments.filter((e) => isFinal(e.status)).map((e) => e.id)
    const [fromRedis, fromPostgres] = await Promise.all([
      Promise.all(live.map((id) => redis.hvals(redisKeys.counts(id)))),
      final.length === 0
        ? []
        : db
            .selectFrom('variant_participants')
            .select(['experiment_id', sql<number>`sum(participants)::int`.as('participants')])
            .where('experiment_id', 'in', final)
            .groupBy('experiment_id')
            .execute(),
    ])
    const counts = new Map<string, number>(experiments.map((e) => [e.id, 0]))
    live.forEach((id, i) =>
      counts.set(
        id,
        (fromRedis[i] ?? []).reduce((sum, n) => sum + Number(n), 0),
      ),
    )
    for (const row of fromPostgres) counts.set(row.experiment_id, row.participants)
    return counts
  }
export type ParticipantCounter = ReturnType<typeof participantCounter>
