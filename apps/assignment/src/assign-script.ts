import { readFileSync } from 'node:fs'
import { redisKeys } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'
import type { Result } from 'ioredis'

const lua = readFileSync(new URL('./lua/assign.lua', import.meta.url), 'utf8')

declare module 'ioredis' {
  interface RedisCommander<Context> {
    assignOnce(
      status: string,
      assignments: string,
      counts: string,
      stream: string,
      userId: string,
      variantId: string,
      nowMs: string,
    ): Result<[number, string], Context>
  }
}

export type ScriptOutcome =
  | { kind: 'existing' | 'assigned'; variantId: string }
  | { kind: 'refused'; status: string }

const OUTCOME_CODES = { 0: 'assigned', 1: 'existing' } as const

/** Loads assign.lua into the client as `assignOnce` (sent by SHA, re-sent in full after a Redis restart). */
export const defineAssignScript = (redis: Redis) => {
  redis.defineCommand('assignOnce', { numberOfKeys: 4, lua })
  return async (experimentId: string, userId: string, variantId: string, nowMs: number): Promise<ScriptOutcome> => {
    const [code, value] = await redis.assignOnce(
      redisKeys.status(experimentId),
      redisKeys.assignments(experimentId),
      redisKeys.counts(experimentId),
      redisKeys.assignmentStream(experimentId),
      userId,
      variantId,
      String(nowMs),
    )
    return code === 2 ? { kind: 'refused', status: value } : { kind: OUTCOME_CODES[code as 0 | 1], variantId: value }
  }
}
export type AssignScript = ReturnType<typeof defineAssignScript>
