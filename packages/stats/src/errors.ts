/** One problem found in the input, located by a JSON pointer (e.g. `/variants/1/conversions`). */
export interface StatsInputIssue {
  path: string
  message: string
}

/** Thrown for input the engine cannot analyse; the API maps it to HTTP 400. */
export class StatsInputError extends Error {
  readonly code = 'INVALID_STATS_INPUT'
  readonly details: StatsInputIssue[]

  constructor(details: StatsInputIssue[]) {
    super(`Invalid statistics input: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`)
    this.name = 'StatsInputError'
    this.details = details
  }
}
