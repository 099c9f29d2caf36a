import type { Migration } from 'kysely'
import * as experiments from './0001-experiments.js'
import * as assignments from './0002-assignments.js'
import * as conversions from './0003-conversions.js'
import * as waitingByArrival from './0004-waiting-conversions-by-arrival.js'
import * as hotTablesWithoutRowKeys from './0005-hot-tables-without-row-foreign-keys.js'
import * as reattributionSweepPosition from './0006-reattribution-sweep-position.js'
import * as sdkConnections from './0007-sdk-connections.js'

/** Every migration, in order. Names are never changed once shipped. */
export const migrations: Record<string, Migration> = {
  '0001-experiments': experiments,
  '0002-assignments': assignments,
  '0003-conversions': conversions,
  '0004-waiting-conversions-by-arrival': waitingByArrival,
  '0005-hot-tables-without-row-foreign-keys': hotTablesWithoutRowKeys,
  '0006-reattribution-sweep-position': reattributionSweepPosition,
  '0007-sdk-connections': sdkConnections,
}
