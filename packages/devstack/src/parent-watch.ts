import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh', 'mksh', 'busybox'])
const HAS_PROC = existsSync('/proc/self/stat')

/** The parent and command name of process `pid`, or undefined once it is gone. */
const processInfo = (pid: number): { ppid: number; command: string } | undefined => {
  try {
    if (HAS_PROC) {
      // "pid (command) state ppid …"; the command may itself hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const end = stat.lastIndexOf(')')
      return { command: stat.slice(stat.indexOf('(') + 1, end), ppid: Number(stat.slice(end + 2).split(' ')[1]) }
    }
    const [ppid, ...command] = execFileSync('ps', ['-o', 'ppid=,comm=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(/\s+/)
    return ppid ? { ppid: Number(ppid), command: basename(command.join(' ')) } : undefined
  } catch {
    return undefined
  }
}

/**
 * Calls `onGone` once the process that started this one is gone: the parent, and, when the parent
 * is a shell, the shell's parent too. `npm start` runs its script through `sh -c`, which stays
 * between npm and this process and lives on when npm is killed; an orphan would keep its servers
 * and ports for ever. Returns a function that stops watching.
 */
export const watchParent = (onGone: () => void, intervalMs = 250): (() => void) => {
  const parent = process.ppid
  const parentInfo = processInfo(parent)
  const grandparent = parentInfo && SHELLS.has(parentInfo.command) ? parentInfo.ppid : undefined
  const timer = setInterval(() => {
    const gone = process.ppid !== parent || (grandparent !== undefined && processInfo(parent)?.ppid !== grandparent)
    if (!gone) return
    clearInterval(timer)
    onGone()
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
