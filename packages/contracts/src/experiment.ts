/**
 * The domain's words for an experiment, in one place and free of any transport: its statuses and
 * lifecycle, the reasons an assignment gives, and the defaults and patterns every service agrees on.
 * The TypeBox schemas (packages/schemas, AssignmentConfig), the Kysely types (packages/db) and the
 * services derive from these; migrations keep their literal values, pinned to them by a test.
 */

/** Every status an experiment can have, in lifecycle order. Migration 0001's check constraint lists the same. */
export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped', 'completed', 'archived'] as const
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number]

/** Statuses in which an experiment answers with variants: running enrolls new users, stopped only keeps those already in. */
export const LIVE_STATUSES = ['running', 'stopped'] as const satisfies readonly ExperimentStatus[]
export type LiveStatus = (typeof LIVE_STATUSES)[number]

/** Completed or archived: no lifecycle action leads out (only archiving a completed one), nobody is enrolled again, results are final. */
export const FINAL_STATUSES = ['completed', 'archived'] as const satisfies readonly ExperimentStatus[]
export type FinalStatus = (typeof FINAL_STATUSES)[number]

const LIVE = new Set<string>(LIVE_STATUSES)
const FINAL = new Set<string>(FINAL_STATUSES)

/** Whether an experiment in `status` (running or stopped) answers with variants. Takes any string: Redis's status key is one. */
export const isLive = (status: string): status is LiveStatus => LIVE.has(status)

/** Whether `status` is completed or archived. Takes any string: Redis's status key is one. */
export const isFinal = (status: string): status is FinalStatus => FINAL.has(status)

/**
 * The lifecycle actions: which statuses each may start from, and where it leads. Anything else is
 * an illegal transition. Archiving is not among them: it is allowed from every status and
 * archiving an archived experiment changes nothing.
 */
export const TRANSITIONS = {
  start: { from: ['draft', 'stopped'], to: 'running' },
  stop: { from: ['running'], to: 'stopped' },
  complete: { from: LIVE_STATUSES, to: 'completed' },
} as const satisfies Record<string, { from: readonly ExperimentStatus[]; to: ExperimentStatus }>
export type LifecycleAction = keyof typeof TRANSITIONS
export const LIFECYCLE_ACTIONS = Object.keys(TRANSITIONS) as LifecycleAction[]

/**
 * Why an assignment answered as it did: `assigned` (enrolled now), `existing` (the user's recorded
 * variant), `audience_mismatch`, `enrollment_closed` (stopped: new users are not enrolled) or
 * `not_running` (draft, completed, archived).
 */
export const ASSIGNMENT_REASONS = ['assigned', 'existing', 'audience_mismatch', 'enrollment_closed', 'not_running'] as const
export type AssignmentReason = (typeof ASSIGNMENT_REASONS)[number]

/** A metric's name: what a conversion event counts toward and what results are computed for. */
export const METRIC_PATTERN = '^[a-z0-9_.-]{1,64}$'

/** The metric of a conversion event that names none, and of results computed without naming one. */
export const DEFAULT_METRIC = 'conversion'

/**
 * The confidence level of results computed without naming one (compute-results, the final snapshot
 * of an experiment completed at its endDate). The API's default, not the statistics engine's:
 * every compute job carries its level explicitly.
 */
export const DEFAULT_CONFIDENCE_LEVEL = 0.95
