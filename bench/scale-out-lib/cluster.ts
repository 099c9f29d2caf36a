import { withClusterNode as withNode } from '@experiments/devstack'

const HOST = '127.0.0.1'

/** Calls per command (INFO commandstats, commands run by scripts included) a node served since it started. */
const commandCalls = (port: number) =>
  withNode(port, async (client) => {
    const calls = new Map<string, number>()
    for (const [, command, n] of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(command!, Number(n))
    return calls
  })

/** Calls per command, per node port. */
export type Calls = Map<number, Map<string, number>>

export const snapshotCalls = async (ports: number[]): Promise<Calls> =>
  new Map(await Promise.all(ports.map(async (port) => [port, await commandCalls(port)] as const)))

/** What each node served between two snapshots, added to `into` (so that several intervals sum up). */
export const addCallsBetween = (into: Calls, before: Calls, after: Calls): Calls => {
  for (const [port, now] of after) {
    const then = before.get(port) ?? new Map<string, number>()
    const sum = into.get(port) ?? new Map<string, number>()
    for (const [command, n] of now) {
      const delta = n - (then.get(command) ?? 0)
      if (delta > 0) sum.set(command, (sum.get(command) ?? 0) + delta)
    }
    into.set(port, sum)
  }
  return into
}

/** Each node's share of all calls, its three busiest commands, and the largest share. */
export const shares = (calls: Calls) => {
  const totals = [...calls].map(([port, commands]) => ({ port, commands, total: [...commands.values()].reduce((a, b) => a + b, 0) }))
  const all = totals.reduce((n, t) => n + t.total, 0)
  const rows = totals.map(({ port, commands, total }) => {
    const top = [...commands]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([command, n]) => `${command} ${n}`)
      .join(', ')
    return { port, total, share: all > 0 ? total / all : NaN, text: `${HOST}:${port} ${((total / all) * 100).toFixed(1)} % (${total} calls; ${top})` }
  })
  return { rows, all, max: Math.max(...rows.map((r) => r.share)) }
}

/** The port of the node a node that answers on `askPort` says serves `slot` (CLUSTER SLOTS). */
export const slotOwnerPort = (askPort: number, slot: number) =>
  withNode(askPort, async (client) => {
    const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][]
    return ranges.find(([from, to]) => from <= slot && slot <= to)?.[2][1]
  })

/** Whether the node on `port` has a replica in sync (INFO replication: a `slave<n>:` line with state=online). */
export const hasReplicaOnline = (port: number) => withNode(port, async (client) => /^slave\d+:.*state=online/m.test(await client.info('replication')))

/**
 * The ports among `ports` whose node says it is a master (INFO replication, role:master); a node
 * that does not answer is left out. Asked of each node itself: one node's CLUSTER NODES can still
 * show a replica with the master flag it had before `redis-cli --cluster create` made it a replica.
 */
export const mastersAmong = async (ports: number[]) => {
  const roles = await Promise.all(ports.map((port) => withNode(port, (client) => client.info('replication')).catch(() => '')))
  return ports.filter((_, i) => /^role:master\r?$/m.test(roles[i]!))
}
