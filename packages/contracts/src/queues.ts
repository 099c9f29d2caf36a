/**
 * BullMQ queue names. The prefix carries a hash tag so that every key of every queue lands in one
 * Redis Cluster slot, as BullMQ requires on a cluster.
 */
export const QUEUE_PREFIX = '{bull}'

export const QUEUE = {
  conversions: 'conversions',
  computeResults: 'compute-results',
  maintenance: 'maintenance',
} as const
