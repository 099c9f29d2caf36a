import { codedFailure, ComputeJob } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { isDependencyUnavailable } from '@experiments/http'
import { StatsInputError } from '@experiments/stats'
import { UnrecoverableError, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import { Value } from 'typebox/value'
import { asJobFailure } from '../job-failures.js'
import { computeResults } from './compute.js'

/**
 * Processes one `compute-results` job; its return value is the answer the gateway is waiting for.
 * A failure the gateway answers by (bad input: VALIDATION_FAILED, PostgreSQL or Redis unreachable:
 * SERVICE_UNAVAILABLE) carries its error code at the start of the reason (contracts' codedFailure).
 */
export const makeComputeProcessor = (deps: { db: Kysely<DB> }) => async (job: Pick<Job<unknown>, 'id' | 'data'>) => {
  if (!Value.Check(ComputeJob, job.data)) throw new UnrecoverableError('malformed compute-results job')
  try {
    return await computeResults(deps.db, job.data)
  } catch (error) {
    // Bad statistics input will not get better on a retry.
    if (error instanceof StatsInputError) throw new UnrecoverableError(codedFailure('VALIDATION_FAILED', error.message))
    if (isDependencyUnavailable(error)) throw new Error(codedFailure('SERVICE_UNAVAILABLE', (error as Error).message), { cause: error })
    throw asJobFailure(error)
  }
}
