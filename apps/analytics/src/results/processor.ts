import { ComputeJob } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { StatsInputError } from '@experiments/stats'
import { UnrecoverableError, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import { Value } from 'typebox/value'
import { computeResults } from './compute.js'

/** Processes one `compute-results` job; its return value is the answer the gateway is waiting for. */
export const makeComputeProcessor = (deps: { db: Kysely<DB> }) => async (job: Pick<Job<unknown>, 'id' | 'data'>) => {
  if (!Value.Check(ComputeJob, job.data)) throw new UnrecoverableError('malformed compute-results job')
  try {
    return await computeResults(deps.db, job.data)
  } catch (error) {
    // Bad statistics input will not get better on a retry.
    if (error instanceof StatsInputError) throw new UnrecoverableError(`${error.code}: ${error.message}`)
    throw error
  }
}
