import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPrivateRedisCluster } from '@experiments/devstack'
import { Cluster, Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'

type NodeLine = { id: string; port: number; flags: string[]; masterId: string; slots: string[] }

/** Runs one command on one node through a connection of its own. */
const ask = async (port: number, ...command: [string, ...string[]]): Promise<string> => {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    return String(await client.call(...command))
  } finally {
    client.disconnect()
  }
}

const clusterNodes = async (port: number): Promise<NodeLine[]> =>
  (await ask(port, 'CLUSTER', 'NODES'))
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ')
      const hostPort = address!.split('@')[0]!
      return { id: id!, port: Number(hostPort.split(':').pop()), flags: flags!.split(','), masterId: masterId!, slots }
    })

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls `check` until it returns true; fails after `timeoutMs`. */
const eventually = async (what: string, timeoutMs: number, check: () => Promise<boolean>) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('startPrivateRedisCluster', () => {
  it('starts 3 masters + 3 replicas that serve keys, fails a killed master over to its replica, and stops every node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-test-'))
    const started = Date.now()
    const cluster = await startPrivateRedisCluster({ dir })
    const startMs = Date.now() - started
    try {
      expect(cluster.nodes).toHaveLength(6)
      expect(cluster.processes).toHaveLength(6)
      expect(cluster.seeds).toBe(cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(','))
      expect(cluster.resumed).toBe(false)

      const view = await clusterNodes(cluster.nodes[0]!.port)
      const masters = view.filter((n) => n.flags.includes('master'))
      const replicas = view.filter((n) => n.flags.includes('slave'))
      expect(masters).toHaveLength(3)
      expect(replicas).toHaveLength(3)
      expect(masters.every((m) => m.slots.length > 0)).toBe(true)
      expect(new Set(replicas.map((r) => r.masterId))).toEqual(new Set(masters.map((m) => m.id)))
      expect(await cluster.masterPorts()).toEqual(masters.map((m) => m.port).sort((a, b) => a - b))

      const client = new Cluster(cluster.nodes)
      client.on('error', () => {})
      try {
        await client.set('cluster-test:key', 'hello')
        await client.set('cluster-test:other', 'world')
        expect(await client.get('cluster-test:key')).toBe('hello')
        expect(await client.get('cluster-test:other')).toBe('world')
      } finally {
        client.disconnect()
      }

      // SIGKILL one master: its replica takes its slots over, and the cluster is ok again.
      const victimPort = (await cluster.masterPorts())[0]!
      const victim = masters.find((m) => m.port === victimPort)!
      const heir = replicas.find((r) => r.masterId === victim.id)!
      const killedAt = Date.now()
      cluster.processes.find((p) => p.port === victimPort)!.kill('SIGKILL')
      await cluster.processes.find((p) => p.port === victimPort)!.exited
      const survivors = cluster.nodes.map((n) => n.port).filter((port) => port !== victimPort)
      await eventually('the failover', 10_000, async () => {
        for (const port of survivors) if (!(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false
        const me = (await clusterNodes(heir.port)).find((n) => n.flags.includes('myself'))!
        return me.flags.includes('master') && me.slots.length > 0
      })
      const failoverMs = Date.now() - killedAt
      expect(await cluster.masterPorts()).toContain(heir.port)
      expect(await cluster.masterPorts()).not.toContain(victimPort)

      // The old master comes back as a replica of its slots' new master.
      const restartedAt = Date.now()
      await cluster.restart(victimPort)
      const restartMs = Date.now() - restartedAt
      const back = (await clusterNodes(victimPort)).find((n) => n.flags.includes('myself'))!
      expect(back.flags).toContain('slave')
      expect(back.masterId).toBe(heir.id)

      console.log(`[cluster test] started in ${startMs} ms, failed over in ${failoverMs} ms, restarted node rejoined in ${restartMs} ms`)

      const pids = cluster.processes.map((p) => p.pid)
      await cluster.stop()
      await Promise.all(cluster.processes.map((p) => p.exited))
      expect(pids.filter(isAlive)).toEqual([])
    } finally {
      await cluster.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 40_000)
})
