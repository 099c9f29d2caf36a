import type { ConfigPublisher } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { UnrecoverableError, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import { reattribute } from '../conversions/conversion-store.js'
import { completeEndedExperiments } from './complete-ended.js'

export const MAINTENANCE_JOBS = {
  completeEnded: 'complete-ended-experiments',
  reattributeSweep: 'reattribute-waiting-conversions',
  reconcileBacklog: 'reconcile-conversion-backlog',
} as const

const SWEEP_LIMIT = 5000
// The drain attributes waiting conversions as it stores assignments; the sweep only catches the
// race of a conversion and its assignment stored in overlapping transactions (milliseconds apart),
// so a minute, a dozen sweeps, is ample; every waiting conversion in the window is probed each time.
const SWEEP_WINDOW_SECONDS = 60

/** Periodic housekeeping, run by BullMQ job schedulers so one worker of many does each tick. */
export const makeMaintenanceProcessor =
  (deps: { db: Kysely<DB>; publisher: ConfigPublisher; reconcileBacklog: () => Promise<number | null> }) => async (job: Pick<Job, 'name'>) => {
  switch (job.name) {
    case MAINTENANCE_JOBS.completeEnded:
      return { completed: await completeEndedExperiments(deps) }
    case MAINTENANCE_JOBS.reattributeSweep:
      return { reattributed: await reattribute(deps.db, { limit: SWEEP_LIMIT, withinSeconds: SWEEP_WINDOW_SECONDS }) }
    case MAINTENANCE_JOBS.reconcileBacklog:
      return { cleared: await deps.reconcileBacklog() }
    default:
      throw new UnrecoverableError(`unknown maintenance job ${job.name}`)
  }
}
