import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import { hasRedisServer, REDIS_INSTALL_HINT } from './private-redis.js'

/** One redis-server of a private cluster. `exited` resolves once it has exited. */
export type RedisClusterProcess = { port: number; pid: number; kill: (signal?: NodeJS.Signals) => void; exited: Promise<void> }

export type RunningRedisCluster = {
  /** Every node as `127.0.0.1:port,…`: the value for REDIS_CLUSTER_NODES. */
  seeds: string
  nodes: { host: '127.0.0.1'; port: number }[]
  /** One per node, in the order of `nodes`; restart() replaces a node's entry. */
  processes: RedisClusterProcess[]
  /** True when the cluster came back from the nodes-*.conf files of an earlier run in `dir`. */
  resumed: boolean
  /** The ports of the nodes that are masters now (CLUSTER NODES; changes after a failover). */
  masterPorts: () => Promise<number[]>
  /** Starts a node that exited again, on its port and config file, and waits until the cluster is whole again. */
  restart: (port: number) => Promise<void>
  /** SIGTERM to every node; resolves once all have exited. Removes no file. */
  stop: () => Promise<void>
}

const HOST = '127.0.0.1'
/** The cluster bus of a node listens on its port + 10000. */
const BUS_OFFSET = 10_000
const PORTS_FILE = 'ports.json'
/** A node that has not exited this long after SIGTERM is killed. */
const STOP_KILL_MS = 10_000

export const hasRedisCli = () => spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0

const listenOn = (port: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(undefined))
    server.listen(port, HOST, () => {
      const address = server.address() as { port: number }
      server.close(() => resolve(address.port))
    })
  })

/**
 * A port p on 127.0.0.1 that was free a moment ago, as was p + 10000 (a cluster node's bus port),
 * with p <= 55535. `avoid` holds ports already handed out (and their bus ports).
 */
export const freeClusterPort = async (avoid: ReadonlySet<number> = new Set()): Promise<number> => {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = await listenOn(0)
    if (port === undefined || port + BUS_OFFSET > 65_535 || avoid.has(port) || avoid.has(port + BUS_OFFSET)) continue
    if ((await listenOn(port + BUS_OFFSET)) !== undefined) return port
  }
  throw new Error('found no free port p on 127.0.0.1 with p + 10000 free too (a Redis Cluster node needs both)')
}

type NodeLine = { id: string; port: number; flags: string[]; masterId: string | undefined; slots: string[] }

/** CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>…` */
const parseNodes = (text: string): NodeLine[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ')
      const hostPort = address!.split('@')[0]!
      return {
        id: id!,
        port: Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
        flags: flags!.split(','),
        masterId: master === '-' ? undefined : master,
        slots,
      }
    })

const failing = (node: NodeLine) => node.flags.some((flag) => flag === 'fail' || flag === 'fail?' || flag === 'handshake' || flag === 'noaddr')

/** Runs `use` on a short-lived connection to one node; rejects when the node does not answer. */
export const withNode = async <T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> => {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return await use(client)
  } finally {
    client.disconnect()
  }
}

const clusterNodes = async (port: number) => parseNodes(String(await withNode(port, (client) => client.call('CLUSTER', 'NODES'))))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The last lines of a node's log file, for an error message. */
const logTail = (file: string, lines = 5) => {
  try {
    const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines)
    return tail.length > 0 && tail[0] !== '' ? `; its log (${file}) ends with:\n  ${tail.join('\n  ')}` : ''
  } catch {
    return ''
  }
}

/** Runs redis-cli to the end (killed at the deadline); its exit code and output. */
const runCli = (args: string[], timeoutMs: number, detached: boolean) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'], detached })
    let output = ''
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      resolve({ code: null, output: error.message })
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

const readSavedPorts = (file: string): number[] | undefined => {
  if (!existsSync(file)) return undefined
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { ports?: unknown }
  if (!Array.isArray(saved.ports) || !saved.ports.every((p) => Number.isInteger(p))) throw new Error(`${file} does not hold { "ports": [number, …] }`)
  return saved.ports as number[]
}

/**
 * Spawns a Redis Cluster of `masters` masters with one replica each, for this process alone, on
 * 127.0.0.1, with its files in `dir` (nodes-<port>.conf, ports.json and a folder per node), and
 * waits until every node reports cluster_state:ok and every master has its replica in sync. When
 * `dir` holds a cluster from an earlier run (ports.json and its nodes-*.conf files), that cluster
 * is started again on the same ports instead of creating a new one. With `appendOnly`, every
 * write is logged to disk; with `detached`, every node runs in a process group of its own, so a
 * terminal's Ctrl-C reaches only the caller.
 */
export const startPrivateRedisCluster = async ({
  dir,
  nodeTimeoutMs = 2000,
  appendOnly = false,
  detached = false,
  masters = 3,
  readyTimeoutMs = 20_000,
}: {
  dir: string
  nodeTimeoutMs?: number
  appendOnly?: boolean
  detached?: boolean
  masters?: number
  /** How long the cluster may take to be whole (all nodes ok, every master with its replica). */
  readyTimeoutMs?: number
}): Promise<RunningRedisCluster> => {
  if (!hasRedisServer()) throw new Error(REDIS_INSTALL_HINT)
  if (!hasRedisCli()) throw new Error(`redis-cli is not on PATH; a Redis Cluster is created with it. ${REDIS_INSTALL_HINT}`)
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters; got ${masters}`)
  dir = resolve(dir)
  mkdirSync(dir, { recursive: true })
  const total = masters * 2
  const portsFile = join(dir, PORTS_FILE)
  const configFile = (port: number) => join(dir, `nodes-${port}.conf`)
  const nodeDir = (port: number) => join(dir, String(port))
  const logFile = (port: number) => join(nodeDir(port), 'redis.log')

  const saved = readSavedPorts(portsFile)
  if (saved) {
    const missing = saved.filter((port) => !existsSync(configFile(port)))
    if (missing.length > 0) {
      throw new Error(`${portsFile} names nodes without a config file (${missing.map(configFile).join(', ')}); delete ${dir} to start a new cluster`)
    }
    if (saved.length !== total) {
      throw new Error(
        `the Redis Cluster in ${dir} has ${saved.length} nodes, not ${total} (${masters} masters + ${masters} replicas); delete ${dir} to start a new one`,
      )
    }
  }
  const resumed = saved !== undefined
  let ports: number[]
  if (saved) ports = saved
  else {
    const taken = new Set<number>()
    ports = []
    for (let i = 0; i < total; i++) {
      const port = await freeClusterPort(taken)
      ports.push(port)
      taken.add(port).add(port + BUS_OFFSET)
    }
  }
  const nodes = ports.map((port) => ({ host: HOST, port }) as const)
  const seeds = nodes.map(({ host, port }) => `${host}:${port}`).join(',')

  let creating = !resumed
  const children = new Map<number, ChildProcess>()
  const processes: RedisClusterProcess[] = []
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

  const spawnNode = (port: number): RedisClusterProcess => {
    mkdirSync(nodeDir(port), { recursive: true })
    // A new cluster's node starts with no config file (one left from a failed attempt would make it "not empty").
    if (creating) rmSync(configFile(port), { force: true })
    const args = [
      '--cluster-enabled',
      'yes',
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      '--cluster-config-file',
      configFile(port),
      '--bind',
      HOST,
      '--port',
      String(port),
      '--dir',
      nodeDir(port),
      '--logfile',
      logFile(port),
      '--save',
      '',
      '--repl-diskless-sync-delay',
      '0',
      '--appendonly',
      appendOnly ? 'yes' : 'no',
    ]
    const child = spawn('redis-server', args, { stdio: 'ignore', detached })
    children.set(port, child)
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.once('error', () => resolve())
    })
    return {
      port,
      pid: child.pid ?? -1,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (alive(child)) child.kill(signal)
      },
      exited,
    }
  }

  const exitedEarly = () => {
    for (const [port, child] of children) {
      if (!alive(child)) {
        return new Error(
          `redis-server on ${HOST}:${port} exited (${child.signalCode ?? `code ${child.exitCode}`})${logTail(logFile(port))}` +
            (resumed ? `\n(is a cluster from ${dir} still running, or is port ${port} or ${port + BUS_OFFSET} taken?)` : ''),
        )
      }
    }
    return undefined
  }

  const waitForNode = async (port: number, deadline: number) => {
    for (;;) {
      const early = exitedEarly()
      if (early) throw early
      try {
        await withNode(port, (client) => client.ping())
        return
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`redis-server on ${HOST}:${port} did not answer within ${readyTimeoutMs} ms${logTail(logFile(port))}`, { cause: error })
        await sleep(50)
      }
    }
  }

  /** What keeps the cluster from being whole, or undefined when every node is ok and every master has its replica in sync. */
  const problem = async (): Promise<string | undefined> => {
    for (const port of ports) {
      let info: string
      try {
        info = String(await withNode(port, (client) => client.call('CLUSTER', 'INFO')))
      } catch (error) {
        return `${HOST}:${port} does not answer (${(error as Error).message})`
      }
      const state = /cluster_state:(\w+)/.exec(info)?.[1]
      if (state !== 'ok') return `${HOST}:${port} reports cluster_state:${state}`
      const known = Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1])
      if (known !== total) return `${HOST}:${port} knows ${known} of ${total} nodes`
      // Every node must see the final roles: a replica is first known to the others as a master, and gossip lags under load.
      const view = await clusterNodes(port)
      const seenAsReplicas = view.filter((node) => node.flags.includes('slave')).length
      if (seenAsReplicas !== total - masters) return `${HOST}:${port} sees ${seenAsReplicas} replicas, not ${total - masters}`
    }
    const serving = (await clusterNodes(ports[0]!)).filter((node) => node.flags.includes('master') && !failing(node) && node.slots.length > 0)
    if (serving.length !== masters) return `${serving.length} masters serve slots, not ${masters}`
    for (const master of serving) {
      const replication = String(await withNode(master.port, (client) => client.info('replication')))
      const connected = Number(/connected_slaves:(\d+)/.exec(replication)?.[1] ?? 0)
      if (connected < 1 || !/^slave\d+:.*state=online/m.test(replication))
        return `master ${HOST}:${master.port} has no replica in sync (connected_slaves:${connected})`
    }
    return undefined
  }

  const waitUntilWhole = async (deadline: number) => {
    let last: string | undefined = 'not checked yet'
    for (;;) {
      const early = exitedEarly()
      if (early) throw early
      last = await problem().catch((error: Error) => error.message)
      if (last === undefined) return
      if (Date.now() > deadline) throw new Error(`the Redis Cluster on ${seeds} was not ready within ${readyTimeoutMs} ms: ${last}`)
      await sleep(200)
    }
  }

  const stop = async () => {
    const running = [...children.values()]
    for (const child of running) if (alive(child)) child.kill('SIGTERM')
    const kill = setTimeout(() => {
      for (const child of running) if (alive(child)) child.kill('SIGKILL')
    }, STOP_KILL_MS)
    await Promise.all(processes.map((p) => p.exited))
    clearTimeout(kill)
  }

  const deadline = Date.now() + readyTimeoutMs
  try {
    for (const port of ports) processes.push(spawnNode(port))
    for (const port of ports) await waitForNode(port, deadline)
    if (!resumed) {
      const create = await runCli(
        ['--cluster', 'create', ...nodes.map(({ host, port }) => `${host}:${port}`), '--cluster-replicas', '1', '--cluster-yes'],
        Math.max(1000, deadline - Date.now()),
        detached,
      )
      if (create.code !== 0) {
        const tail = create.output.trimEnd().split('\n').slice(-8).join('\n  ')
        throw new Error(`redis-cli --cluster create failed (${create.code ?? 'no exit code'}):\n  ${tail}`)
      }
    }
    await waitUntilWhole(deadline)
  } catch (error) {
    await stop()
    if (!resumed) {
      // Leave no half-made cluster behind for the next start to trip over.
      for (const port of ports) {
        rmSync(configFile(port), { force: true })
        rmSync(nodeDir(port), { recursive: true, force: true })
      }
    }
    throw error
  }
  if (creating) writeFileSync(portsFile, `${JSON.stringify({ ports }, null, 2)}\n`)
  creating = false

  const masterPorts = async () => {
    let lastError: unknown
    for (const port of ports) {
      const child = children.get(port)
      if (!child || !alive(child)) continue
      try {
        const view = await clusterNodes(port)
        return view
          .filter((node) => node.flags.includes('master') && !failing(node))
          .map((node) => node.port)
          .sort((a, b) => a - b)
      } catch (error) {
        lastError = error
      }
    }
    throw new Error(`no node of the Redis Cluster on ${seeds} answers CLUSTER NODES`, { cause: lastError })
  }

  const restart = async (port: number) => {
    const index = processes.findIndex((p) => p.port === port)
    if (index < 0) throw new Error(`${HOST}:${port} is not a node of the Redis Cluster on ${seeds}`)
    const previous = children.get(port)!
    if (alive(previous)) throw new Error(`redis-server on ${HOST}:${port} is still running; kill it before restarting it`)
    await processes[index]!.exited
    processes[index] = spawnNode(port)
    const until = Date.now() + readyTimeoutMs
    await waitForNode(port, until)
    await waitUntilWhole(until)
  }

  return { seeds, nodes, processes, resumed, masterPorts, restart, stop }
}
