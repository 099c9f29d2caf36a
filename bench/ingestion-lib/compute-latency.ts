import type pg from 'pg'

/**
 * Writes the aggregates of a 10M-participant experiment: 5,000,000 participants per variant and
 * 900,000 / 1,000,000 converters of the default metric. compute-results reads only these rows
 * (variants, variant_participants, metric_aggregates), never raw assignments or conversions.
 */
export const seedTenMillion = async (db: pg.Client, experimentId: string, [control, treatment]: [string, string]) => {
  await db.query(`insert into variant_participants (experiment_id, variant_id, participants) values ($1, $2, 5000000), ($1, $3, 5000000)`, [
    experimentId,
    control,
    treatment,
  ])
  await db.query(
    `insert into metric_aggregates (experiment_id, variant_id, metric, events, converters, value_sum, value_sum_squares)
     values ($1, $2, 'conversion', 1200000, 900000, 1200000, 1200000), ($1, $3, 'conversion', 1350000, 1000000, 1350000, 1350000)`,
    [experimentId, control, treatment],
  )
}

/** Milliseconds of each of `n` sequential calls of `call`, each started once the previous one answered. */
export const sequentialMs = async (n: number, call: (i: number) => Promise<void>) => {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await call(i)
    times.push(performance.now() - start)
  }
  return times
}
