type Waiting<T, R> = { item: T; size: number; resolve: (result: R) => void; reject: (error: unknown) => void }

export type GroupCommitOptions<T, R> = {
  /** Stores several items in one go (one statement, one transaction); one result per item, in order. */
  store: (items: T[]) => Promise<R[]>
  /** What an item weighs against `maxSize` (events, say). */
  sizeOf: (item: T) => number
  /** Most weight one group takes; a heavier single item still goes alone. */
  maxSize: number
  /** Groups being stored at once. */
  parallel: number
}

/**
 * Group commit: an item submitted while `parallel` groups are being stored waits, and the next
 * group takes everything that waited (up to `maxSize`). A lone item is stored at once, so merging
 * costs no latency; under load, one statement carries many jobs' rows. When a group fails, its
 * items are stored one by one, so an item that cannot be stored fails alone.
 */
export const groupCommit = <T, R>({ store, sizeOf, maxSize, parallel }: GroupCommitOptions<T, R>) => {
  const waiting: Waiting<T, R>[] = []
  let storing = 0

  const takeGroup = () => {
    const group = [waiting.shift()!]
    let size = group[0]!.size
    while (waiting.length && size + waiting[0]!.size <= maxSize) {
      size += waiting[0]!.size
      group.push(waiting.shift()!)
    }
    return group
  }

  const storeAlone = async (entry: Waiting<T, R>) => {
    try {
      const [result] = await store([entry.item])
      entry.resolve(result!)
    } catch (error) {
      entry.reject(error)
    }
  }

  const storeGroup = async (group: Waiting<T, R>[]) => {
    if (group.length === 1) return storeAlone(group[0]!)
    try {
      const results = await store(group.map((entry) => entry.item))
      group.forEach((entry, i) => entry.resolve(results[i]!))
    } catch {
      for (const entry of group) await storeAlone(entry)
    }
  }

  const startGroups = () => {
    while (storing < parallel && waiting.length) {
      storing++
      void storeGroup(takeGroup()).finally(() => {
        storing--
        startGroups()
      })
    }
  }

  return {
    submit: (item: T): Promise<R> =>
      new Promise<R>((resolve, reject) => {
        waiting.push({ item, size: sizeOf(item), resolve, reject })
        startGroups()
      }),
  }
}
