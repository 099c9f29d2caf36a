import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { onCleanup } from './cleanup.js'
import { watchProcess } from './watchdog.js'

export type Child = { name: string; process: ChildProcess; exited: () => string | undefined }

/** Spawns a child with its output prefixed by its name; it is stopped (TERM, then KILL) at cleanup. */
export const startChild = (name: string, args: string[], env: NodeJS.ProcessEnv): Child => {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  watchProcess(child.pid)
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => console.log(`[${name}] ${line}`))
  }
  let exit: string | undefined
  const done = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = `${name} exited (${signal ?? code})`
      resolve()
    }),
  )
  onCleanup(name, async () => {
    if (exit) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await done
    clearTimeout(killer)
  })
  return { name, process: child, exited: () => exit }
}

/** Polls `url` until it answers 2xx; fails early if the child exits. */
export const waitForReady = async (child: Child, url: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const exit = child.exited()
    if (exit) throw new Error(`${exit} before ${url} was ready`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`)
}

/** Throws naming every child that has exited: a benchmark against a crashed service is invalid. */
export const assertAllAlive = (children: Child[]) => {
  const dead = children.map((c) => c.exited()).filter(Boolean)
  if (dead.length) throw new Error(dead.join('; '))
}
