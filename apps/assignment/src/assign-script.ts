import { readFileSync } from 'node:fs'
import { redisKeys } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'
import type { ChainableCommander, Result } from 'ioredis'

const lua = readFileSync(new URL('./lua/assign.lua', import.meta.url), 'utf8')

type AssignArgs = [status: string, assignments: string, counts: string, stream: string, userId: string, variantId: string, nowMs: string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    assignOnce(...args: AssignArgs): Result<[number, string], Context>
  }
  interface ChainableCommander {
    assignOnce(...args: AssignArgs): ChainableCommander
  }
}

export type ScriptCall = { experimentId: string; userId: string; variantId: string }
export type ScriptOutcome =
  | { kind: 'existing' | 'assigned'; variantId: string }
  | { kind: 'refused'; status: string }

const OUTCOME_CODES = { 0: 'assigned', 1: 'existing' } as const

const argsOf = ({ experimentId, userId, variantId }: ScriptCall, nowMs: number): AssignArgs => [
  redisKeys.status(experimentId),
  redisKeys.assignments(experimentId),
  redisKeys.counts(experimentId),
  redisKeys.assignmentStream(experimentId),
  userId,
  variantId,
  String(nowMs),
]

const toOutcome = ([code, value]: [number, string]): ScriptOutcome =>
  code === 2 ? { kind: 'refused', status: value } : { kind: OUTCOME_CODES[code as 0 | 1], variantId: value }

/**
 * Loads assign.lua into the client as `assignOnce` (sent by SHA, re-sent in full after a Redis
 * restart): `one` runs it once; `many` runs it for several experiments in one pipeline, one round trip.
 */
export const defineAssignScript = (redis: Redis) => {
  redis.defineCommand('assignOnce', { numberOfKeys: 4, lua })
  return {
    one: async (call: ScriptCall, nowMs: number): Promise<ScriptOutcome> => toOutcome(await redis.assignOnce(...argsOf(call, nowMs))),
    many: async (calls: ScriptCall[], nowMs: number): Promise<ScriptOutcome[]> => {
      if (calls.length === 0) return []
      const pipeline: ChainableCommander = redis.pipeline()
      for (const call of calls) pipeline.assignOnce(...argsOf(call, nowMs))
      const replies = (await pipeline.exec()) ?? []
      return replies.map(([error, reply]) => {
        if (error) throw error
        return toOutcome(reply as [number, string])
      })
    },
  }
}
export type AssignScript = ReturnType<typeof defineAssignScript>
