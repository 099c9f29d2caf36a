import {
  CONVERSION_JOB_OPTIONS,
  DEFAULT_METRIC,
  ExperimentNotFound,
  QUEUE,
  toConversionJob,
  ValidationFailed,
  type ConversionJob,
  type ErrorDetail,
} from '@experiments/contracts'
import { coalescedWrites, masterOfKey, onSlotMastersRead, type RedisClient, type ReplicaAcks } from '@experiments/redis'
import { MAX_EVENTS_PER_BATCH, MAX_ID_LENGTH, MAX_TIMESTAMP_LENGTH, TIMESTAMP_PROBLEM_MESSAGES, timestampChecker } from '@experiments/schemas'
import type { ShardQueue } from '../domain/queues.js'
import type { BacklogGuard } from './backlog-guard.js'
import type { ExperimentOwnership } from './experiment-ownership.js'
import { shardRotation } from './shard-rotation.js'

type EventInput = { eventId: string; experimentId: string; userId: string; metric?: string; value?: number; timestamp?: string }

/** The batch's experiment ids, each once: a batch usually names one experiment in event after event. */
const distinctExperimentIds = (events: readonly { experimentId?: string }[]) => {
  const ids = new Set<string>()
  let previous: string | undefined
  for (const { experimentId } of events) {
    if (experimentId !== undefined && experimentId !== previous) ids.add(experimentId)
    previous = experimentId
  }
  return ids
}

/**
 * What the schema cannot see in events received at `receivedAt`: experiments in `foreign` (of
 * another tenant, or none), and timestamps that name no instant or lie too far in the future.
 */
const problemsOf = (events: readonly { experimentId?: string; timestamp?: string }[], foreign: ReadonlySet<string>, receivedAt: number) => {
  const timestampProblem = timestampChecker(receivedAt)
  const problems: ErrorDetail[] = []
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!
    if (foreign.size > 0 && event.experimentId !== undefined && foreign.has(event.experimentId)) {
      problems.push({ index, path: `/events/${index}/experimentId`, message: `experiment ${event.experimentId} does not exist` })
    }
    const problem = event.timestamp === undefined ? undefined : timestampProblem(event.timestamp)
    if (problem) problems.push({ index, path: `/events/${index}/timestamp`, message: TIMESTAMP_PROBLEM_MESSAGES[problem] })
  }
  return problems
}

/** `value` when it is a string the schema accepts as an id or a timestamp (1 to `max` characters, counted as Ajv counts them), else undefined. */
const stringOf = (value: unknown, max: number) =>
  typeof value === 'string' && value.length > 0 && (value.length <= max || [...value].length <= max) ? value : undefined

/**
 * The fields of a refused batch's events that its schema accepts, for the checks beyond the schema;
 * none when the batch is not an object with an array of at most MAX_EVENTS_PER_BATCH events.
 */
const checkableFields = (body: unknown, withExperimentIds: boolean): { experimentId?: string; timestamp?: string }[] => {
  const events = body !== null && typeof body === 'object' ? (body as { events?: unknown }).events : undefined
  if (!Array.isArray(events) || events.length > MAX_EVENTS_PER_BATCH) return []
  return events.map((event: unknown) => {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return {}
    const { experimentId, timestamp } = event as Record<string, unknown>
    const fields: { experimentId?: string; timestamp?: string } = {}
    const id = withExperimentIds ? stringOf(experimentId, MAX_ID_LENGTH) : undefined
    if (id !== undefined) fields.experimentId = id
    const time = stringOf(timestamp, MAX_TIMESTAMP_LENGTH)
    if (time !== undefined) fields.timestamp = time
    return fields
  })
}

/**
 * Conversion ingestion: checks what the schema cannot (timestamps not in the future, experiments of
 * the caller's tenant), applies defaults, and enqueues the batch as one job, on the shards in turn
 * (whatever the experiments: each Redis master an equal share, see shardRotation). It resolves
 * only once Redis holds the job (and, with REDIS_MIN_REPLICAS_ACK, once `acks` confirmed replicas
 * hold it), so a 202 is never given for a batch that could be lost. The shards' queues must use
 * `redis` as their connection.
 */
export const conversionIntake = (deps: {
  shards: ShardQueue[]
  redis: RedisClient
  acks: ReplicaAcks
  ownership: ExperimentOwnership
  backlog: BacklogGuard
  now?: () => number
}) => {
  const now = deps.now ?? Date.now
  const writes = coalescedWrites(deps.redis)
  const rotation = shardRotation(deps.shards, ({ shard }) => masterOfKey(deps.redis, shard.backlogKey))
  const stopRegrouping = onSlotMastersRead(deps.redis, rotation.regroup)

  /** The batch's job, once its timestamps pass and none of its events is of a `foreign` experiment. */
  const jobOf = (tenantId: string, events: EventInput[], foreign: ReadonlySet<string>): ConversionJob => {
    const receivedAt = now()
    const problems = problemsOf(events, foreign, receivedAt)
    if (problems.length) throw new ValidationFailed(`${problems.length} invalid event(s); the batch was not accepted`, problems)
    // Timestamps were checked as ISO-8601 date-times above; PostgreSQL reads them as sent.
    return toConversionJob(tenantId, events, { metric: DEFAULT_METRIC, value: 1, timestamp: new Date(receivedAt).toISOString() })
  }

  /** Enqueues a job of `count` events, once the backlog has room for them. */
  const enqueue = async (job: ConversionJob, count: number): Promise<number> => {
    await deps.backlog.check(count)
    const { shard, queue } = rotation.next()
    // The job and the backlog count leave in one write, with other requests' (the queue shares
    // `redis`; on a cluster both keys are in the shard's slot); a job Redis refused takes its count back. The take-back is not awaited: while Redis
    // stalls it would wait out a second command timeout before the 503. A job that timed out may
    // still be stored later (the worker then takes its events off too); the analytics worker sets
    // the counter back to zero whenever no conversions job is pending.
    writes.hold()
    const ticket = deps.acks.before(shard.backlogKey)
    const counted = deps.redis.incrby(shard.backlogKey, count)
    // Handled at once: on a stalled Redis the INCRBY times out a moment before the add does, and a
    // rejection without a handler until then is an unhandled rejection, which ends the process.
    counted.catch(() => {})
    try {
      await queue.add(QUEUE.conversions, job, CONVERSION_JOB_OPTIONS)
    } catch (error) {
      void counted.then(() => deps.redis.decrby(shard.backlogKey, count)).catch(() => {})
      throw error
    }
    await counted
    // A batch its replicas did not confirm is answered 503: the client retries, and its eventIds
    // make the retry count once even when this job survives too.
    await deps.acks.confirm(ticket)
    return count
  }

  return {
    /** Stops following the cluster's masters. */
    close: stopRegrouping,
    accept: async (tenantId: string, events: EventInput[]): Promise<number> => {
      const foreign = await deps.ownership.notOwned(tenantId, distinctExperimentIds(events))
      return enqueue(jobOf(tenantId, events, foreign), events.length)
    },
    /**
     * The problems of a batch its schema refused that only these checks see (timestamps; with
     * `experimentIds`, experiments the tenant does not have), in the fields the schema accepts, so
     * that one answer lists every problem of the batch. `body` is the request's, not validated.
     */
    problemsBeyondSchema: async (tenantId: string, body: unknown, { experimentIds }: { experimentIds: boolean }): Promise<ErrorDetail[]> => {
      const events = checkableFields(body, experimentIds)
      if (events.length === 0) return []
      const ids = distinctExperimentIds(events)
      // The batch is refused whatever this finds: PostgreSQL away must not turn its 400 into a 503.
      const foreign = ids.size > 0 ? await deps.ownership.notOwned(tenantId, ids).catch(() => new Set<string>()) : new Set<string>()
      return problemsOf(events, foreign, now())
    },
    /** A batch for the experiment of the path (…/experiments/:id/conversions): 404 unless the caller's tenant owns it. */
    acceptForExperiment: async (tenantId: string, experimentId: string, events: Omit<EventInput, 'experimentId'>[]): Promise<number> => {
      if ((await deps.ownership.notOwned(tenantId, new Set([experimentId]))).size > 0) throw new ExperimentNotFound(experimentId)
      // Every event is of the experiment just checked: none is foreign.
      return enqueue(
        jobOf(
          tenantId,
          events.map((event) => ({ ...event, experimentId })),
          new Set(),
        ),
        events.length,
      )
    },
  }
}
export type ConversionIntake = ReturnType<typeof conversionIntake>
