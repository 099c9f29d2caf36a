import { describe, expect, it } from 'vitest'
import { shardRotation } from '../../src/ingestion/shard-rotation.js'

const tally = (picks: string[]) => Object.fromEntries([...new Set(picks)].sort().map((pick) => [pick, picks.filter((p) => p === pick).length]))
const take = <S>(next: () => S, n: number) => Array.from({ length: n }, next)

describe('shardRotation', () => {
  it('on one Redis, takes the shards in turn', () => {
    const rotation = shardRotation(['a', 'b', 'c', 'd'], () => '127.0.0.1:6379')
    expect(take(rotation.next, 8)).toEqual(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd'])
  })

  it('gives every master an equal share, whatever number of shards each holds', () => {
    const masters: Record<string, string> = { s0: 'm1', s1: 'm2', s2: 'm2', s3: 'm3' }
    const rotation = shardRotation(Object.keys(masters), (shard) => masters[shard])
    const picks = take(rotation.next, 600)
    const perMaster = tally(picks.map((shard) => masters[shard]!))
    expect(perMaster).toEqual({ m1: 200, m2: 200, m3: 200 })
    expect(tally(picks)).toEqual({ s0: 200, s1: 100, s2: 100, s3: 200 })
  })

  it('follows the masters after regroup(), and groups shards whose master is not known yet', () => {
    const masters: Record<string, string | undefined> = { s0: undefined, s1: undefined, s2: undefined }
    const rotation = shardRotation(Object.keys(masters), (shard) => masters[shard])
    expect(tally(take(rotation.next, 6))).toEqual({ s0: 2, s1: 2, s2: 2 })
    Object.assign(masters, { s0: 'm1', s1: 'm1', s2: 'm2' })
    rotation.regroup()
    expect(tally(take(rotation.next, 8))).toEqual({ s0: 2, s1: 2, s2: 4 })
  })
})
