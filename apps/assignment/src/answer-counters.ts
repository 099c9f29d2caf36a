import { ASSIGNMENT_REASONS } from '@experiments/contracts'
import { Counter, type Registry } from '@experiments/http'
import type { Assigner } from './assigner.js'
import type { ExposureRecorder } from './exposures.js'

/** Every label value at 0 from the start, so that rate() sees a reason's first answer. */
const counterOf = <L extends string>(registry: Registry, name: string, help: string, label: L, values: readonly string[]) => {
  const counter = new Counter({ name, help, labelNames: [label], registers: [registry] })
  for (const value of values) counter.inc({ [label]: value } as Record<L, string>, 0)
  return counter
}

/** `assigner`, counting its answers in experiments_assignments_total{reason}. */
export const countedAssigner = (assigner: Assigner, registry: Registry): Assigner => {
  const answers = counterOf(registry, 'experiments_assignments_total', 'Assignment answers, by reason', 'reason', ASSIGNMENT_REASONS)
  return {
    assignOne: async (...args) => {
      const answer = await assigner.assignOne(...args)
      answers.inc({ reason: answer.reason })
      return answer
    },
    assignMany: async (...args) => {
      const all = await assigner.assignMany(...args)
      for (const { reason } of all) answers.inc({ reason })
      return all
    },
  }
}

/**
 * `recorder`, counting the exposures it recorded in experiments_exposures_total{outcome}: apart from
 * the assignments, as they are reports of what SDKs decided, and a mismatch (the SDK showed another
 * variant than the one recorded) is what to watch.
 */
export const countedExposures = (recorder: ExposureRecorder, registry: Registry): ExposureRecorder => {
  const outcomes = counterOf(registry, 'experiments_exposures_total', 'Exposures recorded, by outcome', 'outcome', [
    'assigned',
    'existing',
    'mismatch',
    'enrollment_closed',
  ])
  return {
    record: async (...args) => {
      const tally = await recorder.record(...args)
      outcomes.inc({ outcome: 'assigned' }, tally.assigned)
      outcomes.inc({ outcome: 'existing' }, tally.existing)
      outcomes.inc({ outcome: 'mismatch' }, tally.mismatches)
      outcomes.inc({ outcome: 'enrollment_closed' }, tally.enrollmentClosed)
      return tally
    },
  }
}
