import { shardsByMaster } from '@experiments/contracts'

/**
 * The order conversion batches go to the shards: the masters in turn, and each master's shards in
 * turn (see shardsByMaster), so every Redis master receives an equal share of batches. On one
 * Redis: plain round robin. `masterOf` names a shard's master now; call regroup() when the
 * masters may have changed.
 */
export const shardRotation = <S>(shards: readonly S[], masterOf: (shard: S) => string | undefined) => {
  let groups: { shards: S[]; turn: number }[] = []
  let groupTurn = 0
  const regroup = () => {
    groups = shardsByMaster(shards, masterOf).map((grouped) => ({ shards: grouped, turn: 0 }))
  }
  regroup()

  return {
    next: (): S => {
      const group = groups[groupTurn++ % groups.length]!
      return group.shards[group.turn++ % group.shards.length]!
    },
    regroup,
  }
}
