import { randomBytes } from 'node:crypto'
import type { ComputeJob } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { analyzeExperiment, STATS_ENGINE_VERSION, STATS_METHOD, type AnalyzeInput, type AnalyzeResult } from '@experiments/stats'
import type { Kysely } from 'kysely'
import { metricInputs } from './metric-inputs.js'

export type ComputeOptions = Omit<ComputeJob, 'tenantId'>

/** The compute-results answer: the seed's fields per variant, plus every figure of analyzeExperiment. */
export const toComputedResults = (experimentId: string, analysis: AnalyzeResult, snapshotId: string) => ({
  experimentId,
  snapshotId,
  controlVariantId: analysis.controlVariantId,
  confidenceLevel: analysis.confidenceLevel,
  srm: analysis.srm,
  variants: analysis.variants,
})

/**
 * Computes the statistics of one metric from the maintained aggregates and stores a snapshot with
 * its inputs, options, method and engine version, so the figures can be recomputed and checked.
 */
export const computeResults = async (db: Kysely<DB>, { experimentId, metric, confidenceLevel, controlVariantId }: ComputeOptions) => {
  const variants = await metricInputs(db, experimentId, metric)
  const input: AnalyzeInput = { variants, confidenceLevel, ...(controlVariantId ? { controlVariantId } : {}) }
  const analysis = analyzeExperiment(input)
  const snapshotId = `snap_${randomBytes(10).toString('hex')}`
  const result = toComputedResults(experimentId, analysis, snapshotId)
  await db
    .insertInto('result_snapshots')
    .values({
      id: snapshotId,
      experiment_id: experimentId,
      metric,
      options: JSON.stringify({ metric, confidenceLevel, controlVariantId }),
      inputs: JSON.stringify(input),
      method: STATS_METHOD,
      engine_version: STATS_ENGINE_VERSION,
      result: JSON.stringify(result),
    })
    .execute()
  return result
}
