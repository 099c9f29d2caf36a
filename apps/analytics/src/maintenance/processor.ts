import type { ConfigPublisher } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { UnrecoverableError, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import { sweepWaitingConversions } from '../conversions/reattribution-sweep.js'
import { completeEndedExperiments } from './complete-ended.js'

export const MAINTENANCE_JOBS = {
  completeEnded: 'complete-ended-experiments',
  reattributeSweep: 'reattribute-waiting-conversions',
  reconcileBacklog: 'reconcile-conversion-backlog',
} as const

/**
 * The worker's statements are cancelled after this long (main.ts), so a conversion's transaction
 * never stays open longer: the re-attribution sweep's settling time is set above it.
 */
export const STATEMENT_TIMEOUT_MS = 10_000
const SWEEP_SETTLE_SECONDS = STATEMENT_TIMEOUT_MS / 1000 + 5

/** Periodic housekeeping, run by BullMQ job schedulers so one worker of many does each tick. */
export const makeMaintenanceProcessor =
  (deps: { db: Kysely<DB>; publisher: ConfigPublisher; reconcileBacklog: () => Promise<number | null>; sweepSettleSeconds?: number }) =>
  async (job: Pick<Job, 'name'>) => {
    switch (job.name) {
      case MAINTENANCE_JOBS.completeEnded:
        return { completed: await completeEndedExperiments(deps) }
      case MAINTENANCE_JOBS.reattributeSweep:
        return { reattributed: await sweepWaitingConversions(deps.db, { settleSeconds: deps.sweepSettleSeconds ?? SWEEP_SETTLE_SECONDS }) }
      case MAINTENANCE_JOBS.reconcileBacklog:
        return { cleared: await deps.reconcileBacklog() }
      default:
        throw new UnrecoverableError(`unknown maintenance job ${job.name}`)
    }
  }
