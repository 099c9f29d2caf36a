import { describe, expect, it } from 'vitest'
import { groupCommit } from '../src/conversions/group-commit.js'

/** A store that records each call's items and finishes when the test releases it. */
const gatedStore = () => {
  const calls: string[][] = []
  const gates: (() => void)[] = []
  const store = async (items: string[]) => {
    calls.push(items)
    await new Promise<void>((release) => gates.push(release))
    if (items.includes('bad')) throw new Error('cannot store bad')
    return items.map((item) => item.toUpperCase())
  }
  const releaseAll = async () => {
    while (gates.length) gates.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { calls, store, releaseAll }
}

describe('groupCommit', () => {
  it('stores a lone item at once, and merges what waits while the parallel slots are busy', async () => {
    const { calls, store, releaseAll } = gatedStore()
    const commit = groupCommit({ store, sizeOf: () => 1, maxSize: 100, parallel: 2 })
    const results = ['a', 'b', 'c', 'd', 'e'].map((item) => commit.submit(item))
    expect(calls).toEqual([['a'], ['b']])
    await releaseAll()
    expect(calls).toEqual([['a'], ['b'], ['c', 'd', 'e']])
    await releaseAll()
    expect(await Promise.all(results)).toEqual(['A', 'B', 'C', 'D', 'E'])
  })

  it('takes no more than maxSize into a group, but a heavier item still goes alone', async () => {
    const { calls, store, releaseAll } = gatedStore()
    const commit = groupCommit({ store, sizeOf: (item: string) => item.length, maxSize: 4, parallel: 1 })
    const results = ['x', 'aa', 'bb', 'cc', 'dddddd'].map((item) => commit.submit(item))
    for (let i = 0; i < 4; i++) await releaseAll()
    expect(calls).toEqual([['x'], ['aa', 'bb'], ['cc'], ['dddddd']])
    expect(await Promise.all(results)).toEqual(['X', 'AA', 'BB', 'CC', 'DDDDDD'])
  })

  it('stores the items of a failed group one by one, so only the item that cannot be stored fails', async () => {
    const { calls, store, releaseAll } = gatedStore()
    const commit = groupCommit({ store, sizeOf: () => 1, maxSize: 100, parallel: 1 })
    const results = ['first', 'ok', 'bad', 'fine'].map((item) =>
      commit.submit(item).then(
        (r) => r,
        (e: Error) => e.message,
      ),
    )
    for (let i = 0; i < 6; i++) await releaseAll()
    expect(calls).toEqual([['first'], ['ok', 'bad', 'fine'], ['ok'], ['bad'], ['fine']])
    expect(await Promise.all(results)).toEqual(['FIRST', 'OK', 'cannot store bad', 'FINE'])
  })
})
