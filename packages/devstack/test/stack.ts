import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from '@experiments/devstack'

const ROOT = new URL('../../../', import.meta.url).pathname
const START_ALL = `${ROOT}packages/devstack/dist/start-all.js`

/**
 * How the test starts `start-all`: itself, in a process group of its own as a terminal's
 * foreground job is (`group`); under a node process that plays npm's part, running the script
 * through `sh -c` as npm does (`npm`); or directly under a node process (`parent`).
 */
export type Launch = 'group' | 'npm' | 'parent'

/** Node arguments for a process that runs `command args` on its own stdio, as npm runs a script, and exits with it. */
const standIn = (command: string, args: string[]) => [
  '-e',
  `const c = require('node:child_process').spawn(${JSON.stringify(command)}, ${JSON.stringify(args)}, { stdio: 'inherit' })\n` +
    `c.on('exit', (code) => process.exit(code ?? 1))`,
]

const launchArgs = (launch: Launch): string[] =>
  launch === 'group'
    ? [START_ALL]
    : launch === 'npm'
      ? standIn('sh', ['-c', `true && "${process.execPath}" "${START_ALL}"`])
      : standIn(process.execPath, [START_ALL])

export type ProcessEntry = { pid: number; ppid: number; args: string }

/** Every process on the machine, from ps. */
export const processTable = (): ProcessEntry[] =>
  execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [, pid, ppid, args] = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)!
      return { pid: Number(pid), ppid: Number(ppid), args: args! }
    })

/** `pid` and every process below it. */
export const processTree = (pid: number, table = processTable()): ProcessEntry[] => {
  const tree = table.filter((p) => p.pid === pid)
  for (let i = 0; i < tree.length; i++) tree.push(...table.filter((p) => p.ppid === tree[i]!.pid))
  return tree
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })

export type Stack = {
  /** The process the test spawned: start-all itself, or the stand-in for npm. */
  launched: ChildProcess
  startAllPid: number
  /** Every line start-all and its children printed so far. */
  output: string[]
  token: string
  /** gateway, assignment, analytics, PostgreSQL, Redis. */
  ports: { gateway: number; assignment: number; analytics: number; postgres: number; redis: number }
  /** start-all and every process below it once all was ready. */
  processes: ProcessEntry[]
  /** Resolves with the exit code of `launched`. */
  exited: Promise<number | null>
  /** Kills whatever is left and removes the data; for `finally`. */
  cleanup: () => Promise<void>
}

/**
 * Starts the whole system as `npm start` does, on embedded PostgreSQL and a private redis-server
 * (nothing configured), with its data in a directory of its own, and waits until it is ready.
 */
export const startStack = async (launch: Launch, { logLevel = 'info' } = {}): Promise<Stack> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'devstack-test-'))
  chmodSync(dataDir, 0o755) // so that, as root, the postgres user can use it where it is
  const ports = { gateway: await freePort(), assignment: await freePort(), analytics: await freePort() }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_PORT: String(ports.gateway),
    ASSIGNMENT_PORT: String(ports.assignment),
    ANALYTICS_PORT: String(ports.analytics),
    DEVSTACK_DATA_DIR: dataDir,
    LOG_LEVEL: logLevel,
  }
  // The defaults a new user gets: no database, no Redis, no secret configured.
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'JWT_PUBLIC_KEY', 'TEST_DATABASE_URL']) delete env[name]

  const launched = spawn(process.execPath, launchArgs(launch), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: launch === 'group',
  })
  const exited = new Promise<number | null>((resolve) => launched.once('exit', (code) => resolve(code)))
  const output: string[] = []
  let token: string | undefined
  let processes: ProcessEntry[] = []
  const cleanup = async () => {
    for (const { pid } of processes) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    if (isAlive(launched.pid!)) launched.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 45 s:\n${output.join('\n')}`)), 45_000)
      for (const stream of [launched.stdout!, launched.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          output.push(line)
          token ??= /^export TOKEN=(\S+)$/.exec(line)?.[1]
          if (line.includes('curl -s')) {
            clearTimeout(timer)
            resolve()
          }
        })
      }
      void exited.then((code) => reject(new Error(`npm start exited with ${code}:\n${output.join('\n')}`)))
    })
    const startAll = processTree(launched.pid!).find((p) => p.args === `${process.execPath} ${START_ALL}`)!
    processes = processTree(startAll.pid)
    const text = output.join('\n')
    return {
      launched,
      startAllPid: startAll.pid,
      output,
      token: token!,
      ports: {
        ...ports,
        postgres: Number(/embedded PostgreSQL: postgres:\/\/[^@]+@127\.0\.0\.1:(\d+)\//.exec(text)![1]),
        redis: Number(/private redis-server: redis:\/\/127\.0\.0\.1:(\d+)/.exec(text)![1]),
      },
      processes,
      exited,
      cleanup,
    }
  } catch (error) {
    processes = processTree(launched.pid!)
    await cleanup()
    throw error
  }
}

/** Waits until every process of `stack` (and `others`) has exited; returns how long that took, in ms. */
export const allGone = async (stack: Stack, timeoutMs: number, others: ProcessEntry[] = []): Promise<number> => {
  const started = Date.now()
  const processes = [...stack.processes, ...others]
  while (processes.some((p) => isAlive(p.pid))) {
    if (Date.now() - started > timeoutMs) {
      const left = processes.filter((p) => isAlive(p.pid)).map((p) => `${p.pid} ${p.args}`)
      throw new Error(`still running after ${timeoutMs} ms:\n${left.join('\n')}\n${stack.output.join('\n')}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return Date.now() - started
}
