import { readFileSync } from 'node:fs'
import { redisKeys } from '@experiments/contracts'
import { coalescedWrites, type RedisClient, type ReplicaAcks } from '@experiments/redis'
import type { Result } from 'ioredis'

const lua = readFileSync(new URL('./lua/assign.lua', import.meta.url), 'utf8')

type AssignArgs = [status: string, assignments: string, counts: string, stream: string, userId: string, position: string, variantId: string, nowMs: string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    assignOnce(...args: AssignArgs): Result<[number, string], Context>
  }
}

/** The variant the hash chose: its position in the experiment's variants (what the sticky map stores) and id. */
export type ScriptCall = { experimentId: string; userId: string; position: number; variantId: string }
/** `stored` is the sticky map's value: the variant's position. */
export type ScriptOutcome = { kind: 'existing' | 'assigned'; stored: string } | { kind: 'refused'; status: string }

const OUTCOME_CODES = { 0: 'assigned', 1: 'existing' } as const

const argsOf = ({ experimentId, userId, position, variantId }: ScriptCall, nowMs: number): AssignArgs => [
  redisKeys.status(experimentId),
  redisKeys.assignments(experimentId),
  redisKeys.counts(experimentId),
  redisKeys.assignmentStream(experimentId),
  userId,
  String(position),
  variantId,
  String(nowMs),
]

const toOutcome = ([code, value]: [number, string]): ScriptOutcome =>
  code === 2 ? { kind: 'refused', status: value } : { kind: OUTCOME_CODES[code as 0 | 1], stored: value }

/**
 * Loads assign.lua into the client as `assignOnce` (sent by SHA, re-sent in full after a Redis
 * restart). The calls of one event-loop turn leave in one socket write (see coalescedWrites): under
 * load a replica then makes one system call, and Redis one read, for many requests, not one each.
 * With `acks` (REDIS_MIN_REPLICAS_ACK), a new assignment resolves only once replicas hold it
 * (ReplicasDidNotConfirm otherwise: a 503, and a retry gets the same variant from the hash).
 */
export const defineAssignScript = (redis: RedisClient, acks?: ReplicaAcks) => {
  redis.defineCommand('assignOnce', { numberOfKeys: 4, lua })
  const writes = coalescedWrites(redis)
  const run = async (call: ScriptCall, nowMs: number): Promise<ScriptOutcome> => {
    writes.hold()
    const args = argsOf(call, nowMs)
    const ticket = acks?.before(args[1])
    const outcome = toOutcome(await redis.assignOnce(...args))
    if (outcome.kind === 'assigned') await acks?.confirm(ticket)
    return outcome
  }
  return {
    one: run,
    /** Several experiments' calls for one request: written together, answered in one round trip. */
    many: (calls: ScriptCall[], nowMs: number): Promise<ScriptOutcome[]> => Promise.all(calls.map((call) => run(call, nowMs))),
  }
}
export type AssignScript = ReturnType<typeof defineAssignScript>
