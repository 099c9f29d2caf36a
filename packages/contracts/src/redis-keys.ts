/**
 * The Redis key layout shared by the gateway, the assignment service and the analytics worker.
 *
 * Every key a Lua script touches for one experiment carries the experiment's hash tag `{<id>}`,
 * so all of them land in one Redis Cluster slot and the script runs unchanged on a cluster.
 */
export const redisKeys = {
  /** String: the experiment's lifecycle status; the assignment script enrolls only while it reads `running`. */
  status: (experimentId: string) => `exp:{${experimentId}}:status`,
  /** Hash userId → the variant's position (0, 1, …): sticky assignments. */
  assignments: (experimentId: string) => `exp:{${experimentId}}:assignments`,
  /** Hash variantId → participant count. */
  counts: (experimentId: string) => `exp:{${experimentId}}:counts`,
  /** Stream of new assignments, drained into PostgreSQL by the analytics worker. */
  assignmentStream: (experimentId: string) => `exp:{${experimentId}}:stream`,
  /**
   * Set of the users an SDK reported in a variant other than their recorded one (POST /api/exposures):
   * GET results counts them. Redis only: lost with Redis's data, not restored.
   */
  exposureMismatches: (experimentId: string) => `exp:{${experimentId}}:exposure-mismatches`,
  /** String held while the analytics worker rebuilds the experiment's sticky map and counts from PostgreSQL. */
  rebuildLock: (experimentId: string) => `exp:{${experimentId}}:rebuild`,
  /** Hash experimentId → JSON AssignmentConfig of every experiment. */
  configs: 'experiments:configs',
  /** Set of experiment ids whose assignment stream may still hold entries to drain. */
  streams: 'experiments:streams',
  /**
   * String set by the analytics worker once Redis holds what the services need (configs, sticky
   * maps, counts, job schedulers). Missing means Redis lost its data, or was never set up: the
   * worker restores everything from PostgreSQL, and the assignment service answers 503, not 404,
   * for an experiment it cannot find meanwhile.
   */
  restored: 'experiments:restored',
  /** String held by the analytics worker that is restoring Redis after a loss. */
  restoring: 'experiments:restoring',
  /**
   * Hash SDK client key → tenantId of every SDK connection not revoked (PostgreSQL's
   * sdk_connections is the record; the analytics worker puts it back after a loss of Redis).
   */
  sdkClientKeys: 'sdk:client-keys',
} as const

/** Pub/sub channel on which the gateway announces the id of an experiment whose config changed. */
export const CONFIG_CHANNEL = 'experiments:config-changed'

/** Pub/sub channel on which the gateway announces an SDK client key it created or revoked. */
export const SDK_KEYS_CHANNEL = 'sdk:client-keys-changed'

/** Consumer group the analytics workers read the assignment streams with. */
export const ASSIGNMENT_STREAM_GROUP = 'analytics'
